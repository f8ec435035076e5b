# Helpers that give every teecloud target the same flags and layout.

set(TEECLOUD_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
if(TEECLOUD_WERROR)
  list(APPEND TEECLOUD_WARNINGS -Werror)
endif()

if(TEECLOUD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# A fuzz build instruments every library for coverage and ASan/UBSan (not just the fuzz target's
# own file): otherwise libFuzzer sees no edges inside the parsers it is meant to explore.
if(TEECLOUD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

function(teecloud_flags target)
  target_compile_options(${target} PRIVATE ${TEECLOUD_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
endfunction()

# teecloud_library(<dir> SOURCES a.cc b.cc DEPS teecloud::base ...)
# Defines teecloud_<dir> with alias teecloud::<dir>.
function(teecloud_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(teecloud_${name} STATIC ${ARG_SOURCES})
  add_library(teecloud::${name} ALIAS teecloud_${name})
  teecloud_flags(teecloud_${name})
  set_target_properties(teecloud_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(teecloud_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# teecloud_test(<name> SOURCES x_test.cc DEPS ...): a GoogleTest binary registered with CTest.
function(teecloud_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  teecloud_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} teecloud::testing GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${name}
    PROPERTIES ENVIRONMENT "TEECLOUD_SHARED_DIR=${TEECLOUD_SHARED_DIR};TEECLOUD_SOURCE_DIR=${PROJECT_SOURCE_DIR};TEECLOUD_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
    DISCOVERY_TIMEOUT 60)
endfunction()

# teecloud_binary(<name> SOURCES main.cc DEPS ...): lands in build/bin/.
function(teecloud_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  teecloud_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

