# Small helpers so that per-directory CMakeLists stay declarative.
#
# ft_library(NAME SRCS a.cc b.cc DEPS dep1 dep2)
#   A static library whose headers are included from the repository root
#   ("registry/core/digest.h").
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
#   Generates C++ (and gRPC stubs for GRPC_PROTOS) into OUT_DIR and bundles
#   the generated code as the static library NAME.
function(ft_proto_library name)
  cmake_parse_arguments(FT "" "SRC_DIR;OUT_DIR" "PROTOS;GRPC_PROTOS" ${ARGN})
  file(MAKE_DIRECTORY ${FT_OUT_DIR})
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
  set(generated)
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
      if(o MATCHES "\\.cc$")
        list(APPEND generated ${o})
      endif()
    endforeach()
  endforeach()
  add_library(${name} STATIC ${generated})
  target_include_directories(${name} PUBLIC ${FT_OUT_DIR})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  target_compile_options(${name} PRIVATE -w)  # generated code is not ours to lint
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
