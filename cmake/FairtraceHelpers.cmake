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
