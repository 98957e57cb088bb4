# Simulator micro-benchmark (the end-to-end figure comes from scripts/bench/sim.sh).
if(TARGET headroom_sim)
  add_executable(sim_bench ${CMAKE_CURRENT_LIST_DIR}/sim_bench.cpp)
  target_link_libraries(sim_bench PRIVATE headroom_sim benchmark::benchmark)
endif()
