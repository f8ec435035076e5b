// A small RAII wrapper over the SQLite C API: Result-returning, no exceptions, prepared
// statements only (values are bound, never spliced into SQL text).
//
// SqliteDb owns the connection; Statement owns a prepared statement and must not outlive its
// SqliteDb. Neither is thread-safe: callers serialize access (StateStore holds a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace teecloud::node {

class SqliteDb;

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // 1-based parameter indices, as in SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }

  // Advances: true when a row is available, false when done. Errors carry SQLite's message;
  // constraint violations map to kAlreadyExists.
  Result<bool> Step();
  // Runs to completion (statements without result rows).
  Status Run();

  // 0-based column indices of the current row.
  int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;

 private:
  friend class SqliteDb;
  Statement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteDb* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  Status bind_status_;  // the first bind failure, reported by Step()
};

class SqliteDb {
 public:
  // Opens (creating when absent) the database file at `path`.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without parameters (schema, pragmas).
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // A single-value query ("PRAGMA journal_mode").
  Result<std::string> QueryText(std::string_view sql);
  Result<int64_t> QueryInt(std::string_view sql);

  int64_t LastInsertRowId() const;
  int Changes() const;

  // The error of the last failed call on this connection, mapped to our codes.
  Error LastError(std::string_view context) const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless Commit() succeeded. IMMEDIATE
// takes the write lock up front, so reads inside the transaction see what the writes will be
// checked against (no lost updates between check and write).
class Transaction {
 public:
  static Result<Transaction> Begin(SqliteDb& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

}  // namespace teecloud::node
