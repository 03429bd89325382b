#pragma once
// The little of SQL the history needs, over SQLite or PostgreSQL (libpq): statements with `?`
// parameters, rows of text. Internal to trocar_programme.

#include <trocar/core/Result.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace trocar::programme::detail {

using Param = std::variant<std::monostate, int64_t, double, std::string>;
using Row = std::vector<std::optional<std::string>>;  // a column's text, or nothing for NULL

class Database {
 public:
  virtual ~Database() = default;
  // One statement with `?` parameters; its rows (none for statements that return none).
  virtual Result<std::vector<Row>> query(const std::string& sql, const std::vector<Param>& params = {}) = 0;
  // Several statements separated by ';', no parameters.
  virtual Result<void> script(const std::string& sql) = 0;
  // A write transaction that others wait for (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN).
  virtual Result<void> begin() = 0;
  virtual bool postgres() const = 0;
  virtual std::string describe() const = 0;
};

// `path`: the SQLite file, created (with its folder) when missing.
Result<std::unique_ptr<Database>> openSqlite(const std::string& path);
// `conninfo`: a libpq connection URI or key=value string.
Result<std::unique_ptr<Database>> openPostgres(const std::string& conninfo);

}  // namespace trocar::programme::detail
