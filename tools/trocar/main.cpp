// trocar: the one entry point (DESIGN.md section 5). Subcommands live in their own files
// and register themselves through Commands.h.

#include "Commands.h"
#include "Programme.h"

#include <trocar/core/Log.h>
#include <trocar/core/Version.h>

#include <cstdio>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <vector>

int main(int argc, char** argv) {
  CLI::App app{"Trocar: VR surgical training simulator"};
  app.require_subcommand(1);
  app.set_version_flag("--version", trocar::versionString());
  std::string logLevel;
  app.add_option("--log-level", logLevel, "error, warn, info (default), debug or trace")
      ->check(CLI::IsMember({"error", "warn", "info", "debug", "trace"}));

  struct Entry {
    CLI::App* command;
    trocar::cli::Runner run;
  };
  std::vector<Entry> commands;
  auto doctor = trocar::cli::addDoctorCommand(app);
  commands.push_back({app.get_subcommand("doctor"), doctor});
  auto bench = trocar::cli::addBenchCommand(app);
  commands.push_back({app.get_subcommand("bench"), bench});
  auto validate = trocar::cli::addValidateCommand(app);
  commands.push_back({app.get_subcommand("validate"), validate});
  auto import = trocar::cli::addImportCommand(app);
  commands.push_back({app.get_subcommand("import"), import});
  auto replay = trocar::cli::addReplayCommand(app);
  commands.push_back({app.get_subcommand("replay"), replay});
  auto run = trocar::cli::addRunCommand(app);
  commands.push_back({app.get_subcommand("run"), run});
  auto record = trocar::cli::addRecordCommand(app);
  commands.push_back({app.get_subcommand("record"), record});
  auto calibrate = trocar::cli::addCalibrateCommand(app);
  commands.push_back({app.get_subcommand("calibrate"), calibrate});
  auto sign = trocar::cli::addSignCommand(app);
  commands.push_back({app.get_subcommand("sign"), sign});
  auto verify = trocar::cli::addVerifyCommand(app);
  commands.push_back({app.get_subcommand("verify"), verify});
  auto author = trocar::cli::addAuthorCommand(app);
  commands.push_back({app.get_subcommand("author"), author});
  auto history = trocar::cli::addHistoryCommand(app);
  commands.push_back({app.get_subcommand("history"), history});
  auto progress = trocar::cli::addProgressCommand(app);
  commands.push_back({app.get_subcommand("progress"), progress});

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors are bad input
  }
  if (!logLevel.empty()) {
    trocar::LogLevel level;
    if (trocar::parseLogLevel(logLevel.c_str(), &level)) trocar::setLogLevel(level);
  }
  // No exception reaches std::terminate: what escapes a command is reported, with the exit
  // code of its kind (2: the input, 4: the environment), never a core dump.
  try {
    for (auto& entry : commands) {
      if (entry.command->parsed()) return entry.run();
    }
  } catch (const std::filesystem::filesystem_error& e) {
    std::fprintf(stderr, "error: %s\n  hint: check the paths given and their permissions\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "error: bad input: %s\n", e.what());
    return 2;
  } catch (const std::out_of_range& e) {
    std::fprintf(stderr, "error: a value out of range: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "error: out of memory\n  hint: a smaller input, or --budget/--triangles for import\n");
    return 4;
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "error: %s\n  hint: this is a bug in Trocar; please report it with the command line\n",
                 e.what());
    return 4;
  } catch (...) {
    std::fprintf(stderr, "error: an unknown exception\n  hint: this is a bug in Trocar; please report it\n");
    return 4;
  }
  return 2;
}
