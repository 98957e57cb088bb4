# Incremental re-forecast benchmark (scripts/bench.sh incremental): the load
# generator that inserts at a steady rate and times commit -> forecast row.
add_executable(incremental_load ${CMAKE_CURRENT_LIST_DIR}/incremental_load.cpp)
target_link_libraries(incremental_load PRIVATE headroom_warnings PkgConfig::PQXX Threads::Threads)
