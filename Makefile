# The two commands: `make run` and `make test`. Everything else is a helper for them.
JOBS ?= $(shell nproc)
DATA ?= data
CMAKE_FLAGS ?=

.PHONY: run test build release bench bench-pg fmt tidy clean deps

deps:
	@scripts/setup build

release: deps
	@cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DMH_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build build/release --target meterhub -j $(JOBS)

## make run: install, build Release, start the demo on an embedded SQLite database under ./data/
run: release
	@mkdir -p $(DATA)
	./build/release/meterhub serve --demo --set storage.path=$(DATA)/meterhub.db

## make test: install, build (the benchmarks too, so that they keep compiling), run every test through CTest
test:
	@scripts/setup test
	@cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMH_BUILD_TESTS=ON -DMH_BUILD_BENCH=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build/test -j $(JOBS)
	@cd build/test && ctest --output-on-failure -j $(JOBS) --timeout 600
	@tests/fuzz/run

build: deps
	@cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMH_BUILD_TESTS=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build/dev -j $(JOBS)

## make bench: Release benchmarks against the baselines of bench/README.md
bench:
	@scripts/setup test
	@cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMH_BUILD_TESTS=OFF -DMH_BUILD_BENCH=ON >/dev/null
	@cmake --build build/bench -j $(JOBS)
	@bench/run build/bench
	@bench/http_bench build/bench
	@build/bench/bench/solarman_bench
	@bench/solarman_load build/bench
	@build/bench/bench/figures_bench
	@bench/opendtu_bench build/bench
	@bench/mqtt_bench build/bench
	@bench/pg_ingest build/bench

## make bench-pg: only the PostgreSQL ingest figures (bench/README.md, "PostgreSQL ingest")
bench-pg:
	@scripts/setup test
	@cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMH_BUILD_TESTS=OFF -DMH_BUILD_BENCH=ON >/dev/null
	@cmake --build build/bench --target pg_ingest_bench -j $(JOBS)
	@bench/pg_ingest build/bench

fmt:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy:
	@git ls-files 'src/*.cpp' | xargs clang-tidy -p build/dev --quiet

clean:
	rm -rf build
