# threads.cmake — the reentrancy tests, included from tests/CMakeLists.txt
# (it uses the targets bql_golden and PkgConfig::CMOCKA defined there).
#
#   unit_test_threads           every golden case from 16 threads at once,
#                               20 rounds, outputs byte-identical to a
#                               single-threaded run (unit/test_threads.c);
#                               5 rounds under ASan+UBSan (BULKQL_SANITIZE),
#                               which look for memory errors on paths the
#                               first round already takes, at ~7x the cost
#                               (34 s for 20 rounds); the 20 rounds that
#                               shake out interleavings run in the plain
#                               build;
#   unit_test_threads_helgrind  the same binary, 1 round, under valgrind
#                               --tool=helgrind: any data race, lock-order
#                               or pthread API misuse fails the test.
#                               Helgrind orders accesses by happens-before,
#                               not by the interleaving that ran, so one
#                               round of 16 threads over every case finds
#                               what a second round of the same calls
#                               would (valgrind runs one thread at a time:
#                               a round costs ~25 s).
#                               helgrind.supp holds the suppressions for
#                               libraries outside BulkQL (none for BulkQL's
#                               own code). Skipped when valgrind is absent.
find_package(Threads REQUIRED)
add_executable(test_threads unit/test_threads.c)
target_link_libraries(test_threads PRIVATE bql_golden PkgConfig::CMOCKA Threads::Threads)
target_include_directories(test_threads PRIVATE ${PROJECT_SOURCE_DIR}/include)
if(BULKQL_SANITIZE)
  set(BQL_THREAD_ROUNDS 5)
else()
  set(BQL_THREAD_ROUNDS 20)
endif()
add_test(NAME unit_test_threads COMMAND test_threads ${CMAKE_CURRENT_SOURCE_DIR}/golden ${BQL_THREAD_ROUNDS})
set_tests_properties(unit_test_threads PROPERTIES LABELS unit TIMEOUT 300)

find_program(BQL_VALGRIND valgrind)
if(BQL_VALGRIND AND NOT BULKQL_SANITIZE)
  add_test(NAME unit_test_threads_helgrind
           COMMAND ${BQL_VALGRIND} --tool=helgrind --error-exitcode=1 --quiet
                   --suppressions=${CMAKE_CURRENT_SOURCE_DIR}/helgrind.supp
                   $<TARGET_FILE:test_threads> ${CMAKE_CURRENT_SOURCE_DIR}/golden 1)
  # (one of the longest tests: started first on a fresh clone, see COST in
  # tests/CMakeLists.txt)
  set_tests_properties(unit_test_threads_helgrind PROPERTIES LABELS unit TIMEOUT 600 COST 30)
endif()
