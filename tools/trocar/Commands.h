#pragma once
// Subcommands of `trocar`. Each registers its options on the CLI11 app and returns the
// process exit code when run. Exit codes: 0 ok, 1 scored below pass mark, 2 bad input,
// 3 divergence (replay) or not verified (verify), 4 environment problem (no device where one is required).

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace trocar::cli {

using Runner = std::function<int()>;

// Adds `doctor` to `app`; the returned runner is valid while `app` lives.
Runner addDoctorCommand(CLI::App& app);
// Adds `bench` with its subcommands (`bench sim`, `bench load`, `bench replay`, `bench render`).
Runner addBenchCommand(CLI::App& app);
// Adds `load` under an existing `bench` command (BenchLoad.cpp).
Runner addBenchLoadCommand(CLI::App& bench);
// Adds `replay` under an existing `bench` command (BenchReplay.cpp).
Runner addBenchReplayCommand(CLI::App& bench);
// Adds `rescore` under an existing `bench` command (BenchRescore.cpp).
Runner addBenchRescoreCommand(CLI::App& bench);
// Adds `render` under an existing `bench` command (BenchRender.cpp).
Runner addBenchRenderCommand(CLI::App& bench);
// Adds `validate SCENARIO... [--json]`.
Runner addValidateCommand(CLI::App& app);
// Adds `import mesh FILE [--units] [--up-axis] [--json]`.
Runner addImportCommand(CLI::App& app);
// Adds `replay FILE... [--scenario] [--report] [--html] [--junit] [--jobs] [--json] [--force]`.
Runner addReplayCommand(CLI::App& app);
// Adds `run [SCENARIO] [--rig] [--record|--no-record] [--duration] ...` (Run.cpp).
Runner addRunCommand(CLI::App& app);
// Adds `record SCENARIO --timeline T --out F`.
Runner addRecordCommand(CLI::App& app);
// Adds `sign [--new-key NAME | --key K REPORT RECORDING [--out F]]` (Signing.cpp).
Runner addSignCommand(CLI::App& app);
// Adds `calibrate SCENARIO --experts A.trec... [--novices ...] [--policy P] [--out F]` (Calibrate.cpp).
Runner addCalibrateCommand(CLI::App& app);
// Adds `author [SCENARIO] [--select] [--screenshot] [--frames] [--save-as]` (Author.cpp).
Runner addAuthorCommand(CLI::App& app);
// The cores this process may run on (Replay.cpp): the default for --jobs.
unsigned availableCores();
// The order in which parallel jobs take work (Replay.cpp): the longest first (`sizes`, any
// measure of each item's length, such as a recording's bytes), ties as given. The items left
// for last are then the short ones, so no job runs on alone with a long one at the end.
std::vector<size_t> longestFirst(const std::vector<uint64_t>& sizes);
// Adds `verify SIGNATURE [--report] [--recording] [--key]` (Signing.cpp).
Runner addVerifyCommand(CLI::App& app);

}  // namespace trocar::cli
