// `trocar replay --slurm DIR`: re-scoring a programme's recordings on a Slurm cluster, as a job
// array (one task per batch of recordings) whose results land in the history database, and a
// summary job (`trocar replay --merge DIR`) that checks every recording arrived, once.
//
// DIR holds: recordings.txt (absolute paths, one per line), replay-array.sh, summary.sh,
// results/task-<i>.json (each task's `replay --json`), logs/, and after the summary
// summary.json. The history must be one the nodes can reach: a PostgreSQL server, or a SQLite
// file on a shared file system.

#include "Paths.h"
#include "Programme.h"
#include "Signing.h"

#include <trocar/core/File.h>
#include <trocar/programme/History.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace trocar::cli {

namespace {

// An absolute form of a SQLite URL, so the nodes open the same file.
std::string absoluteUrl(const std::string& url) {
  if (url.rfind("postgres", 0) == 0) return url;
  std::string path = url.rfind("sqlite:", 0) == 0 ? url.substr(7) : url;
  return "sqlite:" + std::filesystem::absolute(path).lexically_normal().string();
}

// The URL as it may be shown: a password in it ("user:secret@") replaced by "***".
std::string shownUrl(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

bool writeScript(const std::filesystem::path& file, const std::string& text) {
  if (auto w = writeFileAtomic(file, text); !w.ok()) {
    std::fprintf(stderr, "%s\n", w.error().toString().c_str());
    return false;
  }
  ::chmod(file.c_str(), 0700);  // the history URL is inside: the owner's only
  return true;
}

// Runs `command`, returning its first output line (sbatch --parsable: the job id).
std::optional<std::string> firstLine(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  char line[256] = {0};
  const bool got = std::fgets(line, sizeof(line), pipe) != nullptr;
  const int status = ::pclose(pipe);
  if (!got || status != 0) return std::nullopt;
  std::string s(line);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (auto semi = s.find(';'); semi != std::string::npos) s.resize(semi);  // "id;cluster"
  return s;
}

}  // namespace

int emitSlurm(const SlurmRequest& request) {
  if (request.files.empty()) {
    std::fprintf(stderr, "error: no recordings to re-score\n");
    return 2;
  }
  const std::filesystem::path dir = std::filesystem::absolute(request.dir);
  std::error_code ec;
  std::filesystem::create_directories(dir / "results", ec);
  std::filesystem::create_directories(dir / "logs", ec);
  if (ec) {
    std::fprintf(stderr, "error: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return 2;
  }
  if (std::filesystem::exists(dir / "recordings.txt")) {
    std::fprintf(stderr, "error: %s already holds a re-scoring job\n  hint: give a new folder to --slurm\n",
                 dir.c_str());
    return 2;
  }
  std::string list;
  for (const std::string& f : request.files) {
    if (!std::filesystem::is_regular_file(f, ec)) {
      std::fprintf(stderr, "error: %s: no such recording\n", f.c_str());
      return 2;
    }
    const std::string path = std::filesystem::absolute(f).lexically_normal().string();
    if (path.find('\n') != std::string::npos) {
      std::fprintf(stderr, "error: %s: a recording's path with a line break cannot be listed\n", f.c_str());
      return 2;
    }
    list += path + "\n";
  }
  const std::string url = absoluteUrl(request.db.empty() ? programme::History::defaultUrl()
                                                         : request.db);  // as the nodes will see it
  // The history must open before anything is submitted (and is created here if new).
  if (auto h = programme::History::open(url); !h.ok()) {
    std::fprintf(stderr, "%s\n", h.error().toString().c_str());
    return 2;
  }
  const size_t batch = std::max<size_t>(1, request.batch);
  const size_t tasks = (request.files.size() + batch - 1) / batch;
  const std::string exe = shellQuoted(selfExecutable().string());
  std::string extra;
  if (!request.scenario.empty())
    extra += " --scenario " + shellQuoted(std::filesystem::absolute(request.scenario).string());
  if (request.force) extra += " --force";
  std::ostringstream array;
  array << "#!/bin/bash\n"
        << "# Written by `trocar replay --slurm`: re-scores " << request.files.size() << " recordings, "
        << batch << " per task, into the history. Submit: sbatch replay-array.sh, then\n"
        << "# sbatch --dependency=afterany:<its job id> summary.sh (or pass --submit to trocar).\n"
        << "#SBATCH --job-name=trocar-replay\n"
        << "#SBATCH --array=0-" << tasks - 1 << "\n"
        << "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
        << "#SBATCH --output=" << (dir / "logs" / "replay-%A_%a.out").string() << "\n"
        << "set -u\n"
        << "dir=" << shellQuoted(dir.string()) << "\n"
        << "first=$((SLURM_ARRAY_TASK_ID * " << batch << " + 1))\n"
        << "mapfile -t files < <(sed -n \"${first},$((first + " << batch - 1
        << "))p\" \"$dir/recordings.txt\")\n"
        << "out=\"$dir/results/task-$SLURM_ARRAY_TASK_ID.json\"\n"
        << exe << " replay \"${files[@]}\" --jobs 1 --json --db " << shellQuoted(url) << extra
        << " > \"$out.part\"\n"
        << "rc=$?\n"
        << "mv \"$out.part\" \"$out\"\n"
        << "# 1 is a result (below the pass mark), not a failure of the task.\n"
        << "[ $rc -le 1 ]\n";
  std::ostringstream summary;
  summary
      << "#!/bin/bash\n"
      << "# Written by `trocar replay --slurm`: after the array, checks every recording was re-scored once\n"
      << "# and is in the history (summary.json).\n"
      << "#SBATCH --job-name=trocar-replay-summary\n#SBATCH --ntasks=1\n"
      << "#SBATCH --output=" << (dir / "logs" / "summary-%j.out").string() << "\n"
      << exe << " replay --merge " << shellQuoted(dir.string()) << " --db " << shellQuoted(url) << "\n";
  if (auto w = writeFileAtomic(dir / "recordings.txt", list); !w.ok()) {
    std::fprintf(stderr, "%s\n", w.error().toString().c_str());
    return 2;
  }
  if (!writeScript(dir / "replay-array.sh", array.str()) || !writeScript(dir / "summary.sh", summary.str()))
    return 2;
  std::printf("%zu recordings in %zu array tasks: %s\nhistory: %s\n", request.files.size(), tasks,
              (dir / "replay-array.sh").c_str(), shownUrl(url).c_str());
  if (!request.submit) {
    std::printf("submit with:\n  id=$(sbatch --parsable %s)\n  sbatch --dependency=afterany:$id %s\n",
                shellQuoted((dir / "replay-array.sh").string()).c_str(),
                shellQuoted((dir / "summary.sh").string()).c_str());
    return 0;
  }
  const auto arrayId = firstLine("sbatch --parsable " + shellQuoted((dir / "replay-array.sh").string()));
  if (!arrayId) {
    std::fprintf(stderr,
                 "error: sbatch did not take the array job\n  hint: is Slurm reachable from here (sinfo)? "
                 "SLURM_CONF names the cluster's configuration\n");
    return 4;
  }
  const auto summaryId = firstLine("sbatch --parsable --dependency=afterany:" + *arrayId + " " +
                                   shellQuoted((dir / "summary.sh").string()));
  if (!summaryId) {
    std::fprintf(stderr, "error: sbatch did not take the summary job (the array %s was submitted)\n",
                 arrayId->c_str());
    return 4;
  }
  std::printf("submitted: array job %s, summary job %s (writes %s)\n", arrayId->c_str(), summaryId->c_str(),
              (dir / "summary.json").c_str());
  if (auto w = writeFileAtomic(dir / "jobs.json",
                               nlohmann::json{{"array", *arrayId}, {"summary", *summaryId}}.dump(2) + "\n");
      !w.ok())
    std::fprintf(stderr, "warning: %s\n", w.error().toString().c_str());
  return 0;
}

int mergeSlurm(const std::string& dirName, const std::string& db) {
  const std::filesystem::path dir(dirName);
  auto listed = readFileText(dir / "recordings.txt");
  if (!listed.ok()) {
    std::fprintf(stderr, "%s\n  hint: --merge takes the folder given to --slurm\n",
                 listed.error().toString().c_str());
    return 2;
  }
  std::vector<std::string> recordings;
  std::istringstream lines(listed.value());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) recordings.push_back(line);
  // Each task's results: which recordings came back, how.
  std::map<std::string, std::vector<nlohmann::json>> results;
  std::vector<std::string> unreadable;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir / "results", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    auto text = readFileText(it->path());
    try {
      const auto j = nlohmann::json::parse(text.ok() ? text.value() : std::string());
      for (const auto& r : j) results[r.at("file").get<std::string>()].push_back(r);
    } catch (const std::exception&) {
      unreadable.push_back(it->path().filename().string());
    }
  }
  nlohmann::json missing = nlohmann::json::array(), duplicated = nlohmann::json::array(),
                 failed = nlohmann::json::array(), notInHistory = nlohmann::json::array();
  size_t passed = 0, below = 0;
  for (const std::string& r : recordings) {
    auto it = results.find(r);
    if (it == results.end()) {
      missing.push_back(r);
      continue;
    }
    if (it->second.size() > 1) duplicated.push_back(r);
    const auto& first = it->second.front();
    const int code = first.value("exit_code", 2);
    if (code == 0) ++passed;
    if (code == 1) ++below;
    if (code > 1)
      failed.push_back(
          {{"file", r}, {"status", first.value("status", "")}, {"error", first.value("error", "")}});
  }
  // Each re-scored recording is in the history once (keyed by its digest).
  auto history = programme::History::open(db);
  size_t inHistory = 0;
  if (!history.ok()) {
    std::fprintf(stderr, "%s\n", history.error().toString().c_str());
  } else if (auto attempts = history.value()->attempts(); attempts.ok()) {
    std::map<std::string, size_t> byDigest;
    for (const auto& a : attempts.value()) ++byDigest[a.recordingDigest];
    for (const std::string& r : recordings) {
      auto it = results.find(r);
      if (it == results.end() || it->second.front().value("exit_code", 2) > 1) continue;
      auto digest = fileDigest(r);
      const size_t n = digest.ok() ? byDigest[digest.value()] : 0;
      if (n == 1)
        ++inHistory;
      else
        notInHistory.push_back({{"file", r}, {"rows", n}});
    }
  }
  const bool complete = missing.empty() && duplicated.empty() && failed.empty() && notInHistory.empty() &&
                        unreadable.empty() && history.ok();
  const nlohmann::json summary{{"recordings", recordings.size()},
                               {"results", results.size()},
                               {"passed", passed},
                               {"below_pass_mark", below},
                               {"failed", failed},
                               {"missing", missing},
                               {"duplicated", duplicated},
                               {"unreadable_results", unreadable},
                               {"in_history_once", inHistory},
                               {"not_in_history_once", notInHistory},
                               {"history", history.ok() ? history.value()->describe() : std::string()},
                               {"complete", complete}};
  if (auto w = writeFileAtomic(dir / "summary.json", summary.dump(2) + "\n"); !w.ok()) {
    std::fprintf(stderr, "%s\n", w.error().toString().c_str());
    return 2;
  }
  std::printf(
      "%zu recordings: %zu re-scored (%zu passed, %zu below the pass mark), %zu missing, %zu twice, %zu "
      "failed; %zu in the history once\n",
      recordings.size(), results.size(), passed, below, missing.size(), duplicated.size(), failed.size(),
      inHistory);
  return complete ? 0 : 3;
}

}  // namespace trocar::cli
