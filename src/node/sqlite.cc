#include "node/sqlite.h"

#include <sqlite3.h>

#include <utility>

namespace teecloud::node {

namespace {

Code MapSqliteCode(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Code::kAlreadyExists;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Code::kUnavailable;
    case SQLITE_FULL:
      return Code::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Code::kDataLoss;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return Code::kPermissionDenied;
    default:
      return Code::kInternal;
  }
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_status_(std::move(other.bind_status_)) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    bind_status_ = std::move(other.bind_status_);
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  if (bind_status_ && sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) {
    bind_status_ = tl::unexpected(db_->LastError("bind"));
  }
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (bind_status_ && sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                          SQLITE_UTF8) != SQLITE_OK) {
    bind_status_ = tl::unexpected(db_->LastError("bind"));
  }
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_status_) return tl::unexpected(bind_status_.error());
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(db_->LastError("sqlite step"));
}

Status Statement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) return OkStatus();
  }
}

int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return MakeError(MapSqliteCode(rc), "cannot open database " + path + ": " + msg);
  }
  auto db = std::unique_ptr<SqliteDb>(new SqliteDb(raw));
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

Status SqliteDb::Exec(std::string_view sql) {
  const std::string text(sql);
  char* errmsg = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &errmsg);
  if (rc != SQLITE_OK) {
    std::string msg = errmsg ? errmsg : sqlite3_errstr(rc);
    sqlite3_free(errmsg);
    return MakeError(MapSqliteCode(rc), "sqlite: " + msg);
  }
  return OkStatus();
}

Result<Statement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(LastError("sqlite prepare"));
  return Statement(this, stmt);
}

Result<std::string> SqliteDb::QueryText(std::string_view sql) {
  ASSIGN_OR_RETURN(Statement st, Prepare(sql));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return NotFound("sqlite: no row for " + std::string(sql));
  return st.ColumnText(0);
}

Result<int64_t> SqliteDb::QueryInt(std::string_view sql) {
  ASSIGN_OR_RETURN(Statement st, Prepare(sql));
  ASSIGN_OR_RETURN(const bool row, st.Step());
  if (!row) return NotFound("sqlite: no row for " + std::string(sql));
  return st.ColumnInt(0);
}

int64_t SqliteDb::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int SqliteDb::Changes() const { return sqlite3_changes(db_); }

Error SqliteDb::LastError(std::string_view context) const {
  const int rc = sqlite3_extended_errcode(db_);
  return Error{MapSqliteCode(rc), std::string(context) + ": " + sqlite3_errmsg(db_)};
}

Result<Transaction> Transaction::Begin(SqliteDb& db) {
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  TEECLOUD_CHECK(db_ != nullptr);
  Status s = db_->Exec("COMMIT");
  if (s) db_ = nullptr;
  return s;
}

}  // namespace teecloud::node
