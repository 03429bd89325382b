// SQLite and PostgreSQL behind one small interface (Database.h).

#include "Database.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>

namespace trocar::programme::detail {

namespace {

std::string number(double v) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", v);
  return text;
}

// ---------------------------------------------------------------------------------------------
class Sqlite final : public Database {
 public:
  Sqlite(sqlite3* db, std::string path) : mDb(db), mPath(std::move(path)) {}
  ~Sqlite() override { sqlite3_close_v2(mDb); }
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  Result<std::vector<Row>> query(const std::string& sql, const std::vector<Param>& params) override {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(mDb, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK)
      return failure("cannot prepare a statement");
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
    for (size_t i = 0; i < params.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      const Param& p = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(p)) rc = sqlite3_bind_null(raw, at);
      if (const auto* v = std::get_if<int64_t>(&p)) rc = sqlite3_bind_int64(raw, at, *v);
      if (const auto* v = std::get_if<double>(&p)) rc = sqlite3_bind_double(raw, at, *v);
      if (const auto* v = std::get_if<std::string>(&p))
        rc = sqlite3_bind_text(raw, at, v->data(), static_cast<int>(v->size()), SQLITE_TRANSIENT);
      if (rc != SQLITE_OK) return failure("cannot bind a value");
    }
    std::vector<Row> rows;
    for (;;) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return failure("a statement failed");
      Row row;
      const int n = sqlite3_column_count(raw);
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(raw, c)) {
          case SQLITE_NULL: row.emplace_back(); break;
          case SQLITE_FLOAT: row.emplace_back(number(sqlite3_column_double(raw, c))); break;
          case SQLITE_INTEGER: row.emplace_back(std::to_string(sqlite3_column_int64(raw, c))); break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
            row.emplace_back(
                std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(raw, c))));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<void> script(const std::string& sql) override {
    char* message = nullptr;
    if (sqlite3_exec(mDb, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message ? message : sqlite3_errmsg(mDb);
      sqlite3_free(message);
      return makeError(ErrorCode::kIo, "history " + mPath + ": " + text);
    }
    return success();
  }

  Result<void> begin() override { return script("BEGIN IMMEDIATE"); }
  bool postgres() const override { return false; }
  std::string describe() const override { return "sqlite " + mPath; }

 private:
  Error failure(const std::string& what) const {
    return makeError(ErrorCode::kIo, "history " + mPath + ": " + what + ": " + sqlite3_errmsg(mDb),
                     "is the file a Trocar history, and writable? (another program may hold it locked)");
  }
  sqlite3* mDb;
  std::string mPath;
};

// ---------------------------------------------------------------------------------------------
class Postgres final : public Database {
 public:
  explicit Postgres(PGconn* conn) : mConn(conn) {}
  ~Postgres() override { PQfinish(mConn); }
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  Result<std::vector<Row>> query(const std::string& sql, const std::vector<Param>& params) override {
    // `?` -> `$n` (the history's statements hold no literal question marks).
    std::string text;
    int n = 0;
    for (char c : sql) {
      if (c == '?')
        text += "$" + std::to_string(++n);
      else
        text += c;
    }
    std::vector<std::string> values(params.size());
    std::vector<const char*> pointers(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      if (const auto* v = std::get_if<int64_t>(&p)) values[i] = std::to_string(*v);
      if (const auto* v = std::get_if<double>(&p)) values[i] = number(*v);
      if (const auto* v = std::get_if<std::string>(&p)) values[i] = *v;
      if (!std::holds_alternative<std::monostate>(p)) pointers[i] = values[i].c_str();
    }
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexecParams(mConn, text.c_str(), static_cast<int>(params.size()), nullptr, pointers.data(), nullptr,
                     nullptr, 0),
        PQclear);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return failure(result.get());
    std::vector<Row> rows;
    const int count = PQntuples(result.get()), columns = PQnfields(result.get());
    for (int r = 0; r < count; ++r) {
      Row row;
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c))
          row.emplace_back();
        else
          row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                       static_cast<size_t>(PQgetlength(result.get(), r, c))));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<void> script(const std::string& sql) override {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(mConn, sql.c_str()), PQclear);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return failure(result.get());
    return success();
  }

  Result<void> begin() override { return script("BEGIN"); }
  bool postgres() const override { return true; }
  std::string describe() const override {
    const char* host = PQhost(mConn);
    const char* db = PQdb(mConn);
    return std::string("postgresql ") + (host ? host : "") + "/" + (db ? db : "");
  }

 private:
  Error failure(const PGresult* result) const {
    std::string message = result ? PQresultErrorMessage(result) : PQerrorMessage(mConn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return makeError(ErrorCode::kIo, "history " + describe() + ": " + message);
  }
  PGconn* mConn;
};

}  // namespace

Result<std::unique_ptr<Database>> openSqlite(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path file(path);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    SourceLocation where;
    where.file = path;
    return makeError(ErrorCode::kIo, "cannot open the history: " + message, where,
                     "check the folder exists and is writable, or pass --db PATH");
  }
  sqlite3_busy_timeout(db, 30000);  // others writing (parallel replays) are waited for
  auto out = std::make_unique<Sqlite>(db, path);
  TROCAR_TRY(out->script("PRAGMA foreign_keys = ON"));
  return std::unique_ptr<Database>(std::move(out));
}

Result<std::unique_ptr<Database>> openPostgres(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    std::string message = conn ? PQerrorMessage(conn) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQfinish(conn);
    return makeError(ErrorCode::kUnavailable, "cannot connect to the history server: " + message,
                     "check the server runs and the URL (postgresql://user@host:port/db); a password goes in "
                     "~/.pgpass, not on the command line");
  }
  auto quiet = std::make_unique<Postgres>(conn);
  TROCAR_TRY(quiet->script("SET client_min_messages = warning"));
  return std::unique_ptr<Database>(std::move(quiet));
}

}  // namespace trocar::programme::detail
