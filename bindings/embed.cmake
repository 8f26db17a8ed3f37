# Turns the Lua sources given in SOURCES (a ;-list) into OUT, a C file
# holding each as a byte array, so the module and l2tp-run carry them with
# no search path to get wrong. Run by bindings/CMakeLists.txt at build time.
set(body "/* Generated from bindings/lua/ by bindings/embed.cmake: do not edit. */\n#include \"embedded.h\"\n\n")
set(table "")
set(i 0)
foreach(src IN LISTS SOURCES)
  get_filename_component(name ${src} NAME_WE)
  file(READ ${src} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND body "static const char src_${i}[] = {\n${bytes}\n};\n")
  string(APPEND table "\t{\"${name}\", src_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst struct l2tp_lua_embedded l2tp_lua_embedded[] = {\n${table}\t{0, 0, 0},\n};\n")
file(WRITE ${OUT} "${body}")
