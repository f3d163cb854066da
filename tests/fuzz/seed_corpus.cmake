# seed_corpus.cmake — cmake -P script run by tests/fuzz/CMakeLists.txt:
# copy each file of SEEDS (a ;-list) into the directory OUT, cut to its
# first 64 KB (the fuzzer's -max_len), named after its path below TOP with
# "/" replaced by "__", so that golden cases of the same base name in
# different directories do not collide. OUT is emptied first; OUT.stamp
# records the run for the build system.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
foreach(seed ${SEEDS})
  file(RELATIVE_PATH rel ${TOP} ${seed})
  string(REPLACE "/" "__" name ${rel})
  execute_process(COMMAND head -c 65536 ${seed} OUTPUT_FILE ${OUT}/${name}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot copy ${seed} into the seed corpus")
  endif()
endforeach()
file(WRITE ${OUT}.stamp "")
