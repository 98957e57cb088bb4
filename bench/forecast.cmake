# Forecast engine benchmarks (scripts/bench.sh forecast).
add_executable(forecast_bench ${CMAKE_CURRENT_LIST_DIR}/forecast_bench.cpp)
target_link_libraries(forecast_bench PRIVATE headroom_forecast benchmark::benchmark)
