# Small helpers so that per-directory CMakeLists stay declarative.
#
# ft_library(NAME SRCS a.cc b.cc DEPS dep1 dep2)
#   A static library whose headers are included from the repository root
#   ("common/content/digest.h").
# ft_test(NAME SRCS a_test.cc DEPS dep1 [LABELS l])
#   A GoogleTest binary whose tests are registered with CTest one by one.
# ft_binary(NAME SRCS main.cc DEPS ...)

function(ft_library name)
  cmake_parse_arguments(FT "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${FT_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/proto)
  target_link_libraries(${name} PUBLIC ${FT_DEPS})
endfunction()

function(ft_test name)
  cmake_parse_arguments(FT "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${FT_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/proto)
  target_link_libraries(${name} PRIVATE ${FT_DEPS} ft_testing GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES LABELS "${FT_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

function(ft_binary name)
  cmake_parse_arguments(FT "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${FT_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/proto)
  target_link_libraries(${name} PRIVATE ${FT_DEPS})
endfunction()

# ft_proto_library(NAME SRC_DIR dir OUT_DIR dir PROTOS a.proto ... GRPC_PROTOS a.proto ...)
#   Generates C++ (and gRPC stubs for GRPC_PROTOS) into OUT_DIR. The messages
#   become the static library NAME (protobuf only: the store, the CAS and the
#   shared libraries may link it without gRPC); the stubs become NAME_grpc,
#   which alone links grpc++ (the api layer, the server and the clients).
function(ft_proto_library name)
  cmake_parse_arguments(FT "" "SRC_DIR;OUT_DIR" "PROTOS;GRPC_PROTOS" ${ARGN})
  file(MAKE_DIRECTORY ${FT_OUT_DIR})
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
  set(generated)
  set(generated_grpc)
  foreach(p ${FT_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${p})
    set(outs ${FT_OUT_DIR}/${base}.pb.cc ${FT_OUT_DIR}/${base}.pb.h)
    set(plugin_args)
    if(p IN_LIST FT_GRPC_PROTOS)
      list(APPEND outs ${FT_OUT_DIR}/${base}.grpc.pb.cc ${FT_OUT_DIR}/${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${FT_OUT_DIR} --plugin=protoc-gen-grpc=${grpc_plugin})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc -I ${FT_SRC_DIR} -I ${PROJECT_SOURCE_DIR}/proto
              --cpp_out=${FT_OUT_DIR} ${plugin_args} ${p}
      DEPENDS ${FT_SRC_DIR}/${p} protobuf::protoc
      COMMENT "protoc ${p}")
    foreach(o ${outs})
      if(o MATCHES "\\.grpc\\.pb\\.cc$")
        list(APPEND generated_grpc ${o})
      elseif(o MATCHES "\\.cc$")
        list(APPEND generated ${o})
      endif()
    endforeach()
  endforeach()
  add_library(${name} STATIC ${generated})
  target_include_directories(${name} PUBLIC ${FT_OUT_DIR})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf)
  target_compile_options(${name} PRIVATE -w)  # generated code is not ours to lint
  add_library(${name}_grpc STATIC ${generated_grpc})
  target_link_libraries(${name}_grpc PUBLIC ${name} gRPC::grpc++)
  target_compile_options(${name}_grpc PRIVATE -w)
endfunction()

# ft_embed_text(OUT file.cc NAMESPACE ns SYMBOL kName FILE path)
#   Writes a C++ file defining `extern const char ns::kName[]` with the
#   contents of FILE (rules and schemas kept as data, compiled in).
function(ft_embed_text)
  cmake_parse_arguments(FT "" "OUT;NAMESPACE;SYMBOL;FILE" "" ${ARGN})
  file(READ ${FT_FILE} text)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${FT_FILE})
  file(CONFIGURE OUTPUT ${FT_OUT} CONTENT "// Generated from ${FT_FILE}. Do not edit.\nnamespace ${FT_NAMESPACE} {\nextern const char ${FT_SYMBOL}[];\nconst char ${FT_SYMBOL}[] = R\"ftembed(${text})ftembed\";\n}  // namespace ${FT_NAMESPACE}\n" @ONLY)
endfunction()

# ft_forbid_link(FORBIDDEN dep... TARGETS target...)
#   Fails the configure step when any TARGET links any FORBIDDEN library,
#   directly or through its dependencies (so "the store links no gRPC"
#   stays true as the build changes).
function(_ft_collect_links target out_var)
  set(seen ${${out_var}})
  if(NOT TARGET ${target} OR ${target} IN_LIST seen)
    return()
  endif()
  list(APPEND seen ${target})
  get_target_property(type ${target} TYPE)
  set(links)
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(direct ${target} LINK_LIBRARIES)
    if(direct)
      list(APPEND links ${direct})
    endif()
  endif()
  get_target_property(iface ${target} INTERFACE_LINK_LIBRARIES)
  if(iface)
    list(APPEND links ${iface})
  endif()
  foreach(l ${links})
    _ft_collect_links(${l} seen)
    if(NOT TARGET ${l})
      list(APPEND seen ${l})
    endif()
  endforeach()
  set(${out_var} ${seen} PARENT_SCOPE)
endfunction()

function(ft_forbid_link)
  cmake_parse_arguments(FT "" "" "FORBIDDEN;TARGETS" ${ARGN})
  foreach(t ${FT_TARGETS})
    set(closure)
    _ft_collect_links(${t} closure)
    foreach(f ${FT_FORBIDDEN})
      if(f IN_LIST closure)
        message(FATAL_ERROR "${t} links ${f}: storage, core and shared libraries must not depend on it "
                            "(docs/architecture.md)")
      endif()
    endforeach()
  endforeach()
endfunction()
