# Warnings as errors on our own targets only; third-party headers come in as SYSTEM.
# -Wnull-dereference is left out: at -O2 it fires inside Asio code inlined into ours.
function(fg_target_options target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
        -Wcast-align -Wunused -Woverloaded-virtual
        -Wimplicit-fallthrough -Werror
        # Designated initializers rely on member defaults on purpose.
        -Wno-missing-field-initializers)
    # The repository root is the include root: #include "storage/commit_log.hpp".
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

# Tests and benchmarks: same warnings, but gtest/benchmark macros trip a few of them.
function(fg_test_options target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-old-style-cast
        -Wno-missing-field-initializers)
endfunction()
