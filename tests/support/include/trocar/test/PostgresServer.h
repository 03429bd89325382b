#pragma once
// A throwaway PostgreSQL server for tests: initdb and pg_ctl from Debian's postgresql package
// in a temporary folder, listening on a Unix socket there only (no TCP), trust authentication
// for the user "trocar"; stopped and removed with the object. As root, the server runs as the
// postgres user (initdb refuses root). No mock: the history tests run against it.

#include <trocar/test/TestSupport.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace trocar::test {

class PostgresServer {
 public:
  PostgresServer() {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/usr/lib/postgresql", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (std::filesystem::exists(it->path() / "bin/initdb")) mBin = std::max(mBin, it->path() / "bin");
    }
    if (mBin.empty()) {
      mWhy =
          "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (tools/setup.sh installs postgresql)";
      return;
    }
    // initdb refuses to run as root: then the server runs as the postgres user.
    if (::geteuid() == 0) {
      mAs = "runuser -u postgres -- ";
      runCommand("chown postgres: '" + mDir.path().string() + "'");
    }
    mPort = 40000 + static_cast<int>(::getpid() % 20000);
    const std::string data = (mDir / "data").string();
    auto init = runCommand(mAs + "'" + (mBin / "initdb").string() + "' -D '" + data +
                           "' -U trocar --auth=trust -E UTF8 --no-sync --no-instructions");
    if (init.exitCode != 0) {
      mWhy = "initdb failed: " + init.err + init.out;
      return;
    }
    auto start = runCommand(mAs + "'" + (mBin / "pg_ctl").string() + "' -D '" + data + "' -l '" +
                            (mDir / "log").string() + "' -w -t 60 -o \"-c listen_addresses='' -k '" +
                            mDir.path().string() + "' -p " + std::to_string(mPort) + " -c fsync=off\" start");
    if (start.exitCode != 0) {
      mWhy = "pg_ctl start failed: " + start.err + start.out;
      return;
    }
    mRunning = true;
  }
  ~PostgresServer() {
    if (mRunning)
      runCommand(mAs + "'" + (mBin / "pg_ctl").string() + "' -D '" + (mDir / "data").string() +
                 "' -m immediate stop");
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool running() const { return mRunning; }
  const std::string& why() const { return mWhy; }
  // A new, empty database on the server; its URL.
  std::string freshDatabase() {
    const std::string name = "t" + std::to_string(++mCount);
    auto made = runCommand("'" + (mBin / "createdb").string() + "' -h '" + mDir.path().string() + "' -p " +
                           std::to_string(mPort) + " -U trocar " + name);
    if (made.exitCode != 0) throw std::runtime_error("createdb failed: " + made.err);
    return url(name);
  }

 private:
  std::string url(const std::string& db) const {
    return "postgresql:///" + db + "?host=" + mDir.path().string() + "&port=" + std::to_string(mPort) +
           "&user=trocar";
  }
  TempDir mDir;
  std::filesystem::path mBin;
  std::string mAs, mWhy;
  int mPort = 0, mCount = 0;
  bool mRunning = false;
};

}  // namespace trocar::test
