#include "node/state_store.h"

#include <utility>

namespace teecloud::node {

namespace {

// Each entry migrates from version i to i+1 and runs in its own transaction together with the
// user_version bump. Never edit a shipped step; append a new one.
constexpr std::string_view kMigrations[] = {
    // 0 -> 1: CVMs, events, port reservations.
    R"sql(
CREATE TABLE cvms (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  app_id          TEXT NOT NULL,
  instance_id     TEXT NOT NULL DEFAULT '',
  manifest_json   TEXT NOT NULL,
  manifest_hash   TEXT NOT NULL,
  ports_json      TEXT NOT NULL DEFAULT '[]',
  restart_policy  TEXT NOT NULL DEFAULT 'always',
  desired_state   TEXT NOT NULL,
  status          TEXT NOT NULL,
  status_detail   TEXT NOT NULL DEFAULT '',
  pid             INTEGER NOT NULL DEFAULT 0,
  pid_start_time  INTEGER NOT NULL DEFAULT 0,
  restart_count   INTEGER NOT NULL DEFAULT 0,
  generation      INTEGER NOT NULL DEFAULT 1,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE TABLE events (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  cvm_id   TEXT NOT NULL REFERENCES cvms(id) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  kind     TEXT NOT NULL,
  message  TEXT NOT NULL
);
CREATE INDEX events_by_cvm ON events(cvm_id, seq);
CREATE TABLE port_reservations (
  host_port  INTEGER NOT NULL,
  protocol   TEXT NOT NULL,
  cvm_id     TEXT NOT NULL REFERENCES cvms(id) ON DELETE CASCADE,
  cvm_port   INTEGER NOT NULL,
  PRIMARY KEY (host_port, protocol)
);
)sql",
    // 1 -> 2: manifest history (what each generation ran), seeded from the current manifests.
    R"sql(
CREATE TABLE manifest_history (
  cvm_id         TEXT NOT NULL REFERENCES cvms(id) ON DELETE CASCADE,
  generation     INTEGER NOT NULL,
  manifest_hash  TEXT NOT NULL,
  at             INTEGER NOT NULL,
  PRIMARY KEY (cvm_id, generation)
);
INSERT INTO manifest_history (cvm_id, generation, manifest_hash, at)
  SELECT id, generation, manifest_hash, updated_at FROM cvms;
)sql",
    // 2 -> 3: the deployment's sealed secrets (ciphertext only the CVM can open), hex.
    R"sql(
ALTER TABLE cvms ADD COLUMN sealed_env TEXT NOT NULL DEFAULT '';
)sql",
};
static_assert(std::size(kMigrations) == kStateSchemaVersion);

constexpr char kCvmColumns[] =
    "id, name, app_id, instance_id, manifest_json, manifest_hash, ports_json, restart_policy, "
    "desired_state, status, status_detail, pid, pid_start_time, restart_count, generation, "
    "created_at, updated_at, sealed_env";

Result<CvmRecord> ReadCvmRow(const Statement& st) {
  CvmRecord c;
  c.id = st.ColumnText(0);
  c.name = st.ColumnText(1);
  c.app_id = st.ColumnText(2);
  c.instance_id = st.ColumnText(3);
  c.manifest_json = st.ColumnText(4);
  c.manifest_hash = st.ColumnText(5);
  ASSIGN_OR_RETURN(const Json ports, ParseJson(st.ColumnText(6)));
  ASSIGN_OR_RETURN(c.ports, PortsFromJson(ports, "cvms.ports_json"));
  ASSIGN_OR_RETURN(c.restart_policy, ParseRestartPolicy(st.ColumnText(7)));
  ASSIGN_OR_RETURN(c.desired, ParseDesiredState(st.ColumnText(8)));
  ASSIGN_OR_RETURN(c.status, ParseCvmStatus(st.ColumnText(9)));
  c.status_detail = st.ColumnText(10);
  c.agent.pid = st.ColumnInt(11);
  c.agent.start_time = st.ColumnInt(12);
  c.restart_count = st.ColumnInt(13);
  c.generation = st.ColumnInt(14);
  c.created_at = st.ColumnInt(15);
  c.updated_at = st.ColumnInt(16);
  auto sealed = FromHex(st.ColumnText(17));
  if (!sealed) return DataLoss("cvms.sealed_env of " + c.id + " is not hex");
  c.sealed_env = std::move(*sealed);
  return c;
}

// Binds every column (parameters 1..18 in kCvmColumns order).
void BindCvmColumns(Statement& st, const CvmRecord& c) {
  st.Bind(1, c.id)
      .Bind(2, c.name)
      .Bind(3, c.app_id)
      .Bind(4, c.instance_id)
      .Bind(5, c.manifest_json)
      .Bind(6, c.manifest_hash)
      .Bind(7, DumpJson(PortsToJson(c.ports)))
      .Bind(8, RestartPolicyName(c.restart_policy))
      .Bind(9, DesiredStateName(c.desired))
      .Bind(10, CvmStatusName(c.status))
      .Bind(11, c.status_detail)
      .Bind(12, c.agent.pid)
      .Bind(13, c.agent.start_time)
      .Bind(14, c.restart_count)
      .Bind(15, c.generation)
      .Bind(16, c.created_at)
      .Bind(17, c.updated_at)
      .Bind(18, ToHex(c.sealed_env));
}

std::string PortName(uint16_t port, const std::string& protocol) {
  return std::to_string(port) + "/" + protocol;
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path, const Clock& clock) {
  return OpenAtVersion(path, clock, kStateSchemaVersion);
}

Result<std::unique_ptr<StateStore>> StateStore::OpenAtVersion(const std::string& path,
                                                              const Clock& clock,
                                                              int target_version) {
  TEECLOUD_CHECK(target_version >= 0 && target_version <= kStateSchemaVersion);
  ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path));
  // WAL: readers never block the writer; synchronous=FULL: a commit is on disk (WAL fsynced)
  // before COMMIT returns, so an acknowledged API call survives a crash.
  ASSIGN_OR_RETURN(const std::string mode, db->QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return FailedPrecondition("state store " + path + ": cannot enable WAL (journal_mode=" + mode +
                              ")");
  }
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  auto store = std::unique_ptr<StateStore>(new StateStore(std::move(db), clock));
  Status migrated = store->Migrate(target_version);
  if (!migrated) return tl::unexpected(migrated.error().WithContext("state store " + path));
  return store;
}

Status StateStore::Migrate(int target_version) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(int64_t version, db_->QueryInt("PRAGMA user_version"));
  if (version > kStateSchemaVersion) {
    return FailedPrecondition(
        "schema version " + std::to_string(version) + " is newer than this node supports (" +
        std::to_string(kStateSchemaVersion) + "); run a newer teecloud-node or restore a backup");
  }
  while (version < target_version) {
    ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    Status s = db_->Exec(kMigrations[version]);
    if (!s) {
      return tl::unexpected(
          s.error().WithContext("migration to schema version " + std::to_string(version + 1)));
    }
    RETURN_IF_ERROR(db_->Exec("PRAGMA user_version=" + std::to_string(version + 1)));
    RETURN_IF_ERROR(tx.Commit());
    ++version;
  }
  schema_version_ = static_cast<int>(version);
  return OkStatus();
}

Result<int> StateStore::SchemaVersion() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const int64_t v, db_->QueryInt("PRAGMA user_version"));
  return static_cast<int>(v);
}

Status StateStore::AppendEventLocked(const std::string& cvm_id, const EventSpec& event) {
  if (event.kind.empty()) return OkStatus();
  ASSIGN_OR_RETURN(Statement ins,
                   db_->Prepare("INSERT INTO events (cvm_id, at, kind, message) VALUES (?,?,?,?)"));
  ins.Bind(1, cvm_id).Bind(2, clock_.Now()).Bind(3, event.kind).Bind(4, event.message);
  RETURN_IF_ERROR(ins.Run());
  // Bounded history per CVM.
  ASSIGN_OR_RETURN(Statement trim,
                   db_->Prepare("DELETE FROM events WHERE cvm_id = ?1 AND seq <= "
                                "(SELECT seq FROM events WHERE cvm_id = ?1 ORDER BY seq DESC "
                                "LIMIT 1 OFFSET ?2)"));
  trim.Bind(1, cvm_id).Bind(2, int64_t{kMaxEventsPerCvm});
  return trim.Run();
}

Status StateStore::ReservePortsLocked(const CvmRecord& cvm) {
  for (const PortMapping& p : cvm.ports) {
    ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT c.name FROM port_reservations r JOIN cvms c "
                                               "ON c.id = r.cvm_id WHERE r.host_port = ? AND "
                                               "r.protocol = ? AND r.cvm_id != ?"));
    q.Bind(1, int64_t{p.host_port}).Bind(2, p.protocol).Bind(3, cvm.id);
    ASSIGN_OR_RETURN(const bool taken, q.Step());
    if (taken) {
      return MakeError(Code::kAlreadyExists, "host port " + PortName(p.host_port, p.protocol) +
                                                 " is already reserved by CVM '" + q.ColumnText(0) +
                                                 "'");
    }
  }
  ASSIGN_OR_RETURN(Statement del, db_->Prepare("DELETE FROM port_reservations WHERE cvm_id = ?"));
  del.Bind(1, cvm.id);
  RETURN_IF_ERROR(del.Run());
  // Tombstones hold no ports: their data is kept, their ports are free for others.
  if (cvm.desired == DesiredState::kRemoved || cvm.desired == DesiredState::kPurged) {
    return OkStatus();
  }
  for (const PortMapping& p : cvm.ports) {
    ASSIGN_OR_RETURN(Statement ins, db_->Prepare("INSERT INTO port_reservations (host_port, "
                                                 "protocol, cvm_id, cvm_port) VALUES (?,?,?,?)"));
    ins.Bind(1, int64_t{p.host_port})
        .Bind(2, p.protocol)
        .Bind(3, cvm.id)
        .Bind(4, int64_t{p.cvm_port});
    RETURN_IF_ERROR(ins.Run());
  }
  return OkStatus();
}

Status StateStore::RecordManifestLocked(const CvmRecord& cvm) {
  if (schema_version_ < 2) return OkStatus();
  ASSIGN_OR_RETURN(Statement st, db_->Prepare("INSERT OR REPLACE INTO manifest_history (cvm_id, "
                                              "generation, manifest_hash, at) VALUES (?,?,?,?)"));
  st.Bind(1, cvm.id).Bind(2, cvm.generation).Bind(3, cvm.manifest_hash).Bind(4, clock_.Now());
  return st.Run();
}

Status StateStore::InsertCvm(const CvmRecord& cvm_in, const EventSpec& event) {
  std::lock_guard lock(mu_);
  CvmRecord cvm = cvm_in;
  cvm.created_at = cvm.updated_at = clock_.Now();
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  {
    ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT 1 FROM cvms WHERE name = ? OR id = ?"));
    q.Bind(1, cvm.name).Bind(2, cvm.id);
    ASSIGN_OR_RETURN(const bool exists, q.Step());
    if (exists) {
      return MakeError(Code::kAlreadyExists, "a CVM named '" + cvm.name + "' already exists");
    }
  }
  ASSIGN_OR_RETURN(Statement ins, db_->Prepare(std::string("INSERT INTO cvms (") + kCvmColumns +
                                               ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  BindCvmColumns(ins, cvm);
  RETURN_IF_ERROR(ins.Run());
  RETURN_IF_ERROR(ReservePortsLocked(cvm));
  RETURN_IF_ERROR(RecordManifestLocked(cvm));
  RETURN_IF_ERROR(AppendEventLocked(cvm.id, event));
  return tx.Commit();
}

Result<CvmRecord> StateStore::UpdateCvm(const std::string& id, const Mutator& mutate) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  ASSIGN_OR_RETURN(std::optional<CvmRecord> found, QueryOneLocked("id = ?", id));
  if (!found) return NotFound("no CVM with id " + id);
  const CvmRecord before = *found;
  CvmRecord cvm = std::move(*found);
  EventSpec event;
  RETURN_IF_ERROR(mutate(cvm, event));
  TEECLOUD_CHECK(cvm.id == before.id);  // the key is not mutable
  cvm.updated_at = clock_.Now();
  if (cvm.name != before.name) {
    ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT 1 FROM cvms WHERE name = ? AND id != ?"));
    q.Bind(1, cvm.name).Bind(2, cvm.id);
    ASSIGN_OR_RETURN(const bool exists, q.Step());
    if (exists) {
      return MakeError(Code::kAlreadyExists, "a CVM named '" + cvm.name + "' already exists");
    }
  }
  ASSIGN_OR_RETURN(
      Statement up,
      db_->Prepare("UPDATE cvms SET name=?2, app_id=?3, instance_id=?4, manifest_json=?5, "
                   "manifest_hash=?6, ports_json=?7, restart_policy=?8, desired_state=?9, "
                   "status=?10, status_detail=?11, pid=?12, pid_start_time=?13, "
                   "restart_count=?14, generation=?15, created_at=?16, updated_at=?17, "
                   "sealed_env=?18 "
                   "WHERE id=?1"));
  BindCvmColumns(up, cvm);
  RETURN_IF_ERROR(up.Run());
  if (cvm.ports != before.ports || cvm.desired != before.desired) {
    RETURN_IF_ERROR(ReservePortsLocked(cvm));
  }
  if (cvm.generation != before.generation || cvm.manifest_hash != before.manifest_hash) {
    RETURN_IF_ERROR(RecordManifestLocked(cvm));
  }
  RETURN_IF_ERROR(AppendEventLocked(cvm.id, event));
  RETURN_IF_ERROR(tx.Commit());
  return cvm;
}

Status StateStore::DeleteCvm(const std::string& id) {
  std::lock_guard lock(mu_);
  // Foreign keys cascade to events, reservations and manifest history.
  ASSIGN_OR_RETURN(Statement del, db_->Prepare("DELETE FROM cvms WHERE id = ?"));
  del.Bind(1, id);
  RETURN_IF_ERROR(del.Run());
  if (db_->Changes() == 0) return NotFound("no CVM with id " + id);
  return OkStatus();
}

Result<std::optional<CvmRecord>> StateStore::QueryOneLocked(std::string_view where,
                                                            const std::string& arg) {
  ASSIGN_OR_RETURN(Statement q,
                   db_->Prepare(std::string("SELECT ") + kCvmColumns + " FROM cvms WHERE " +
                                std::string(where) + " ORDER BY created_at, id LIMIT 2"));
  q.Bind(1, arg);
  ASSIGN_OR_RETURN(const bool row, q.Step());
  if (!row) return std::optional<CvmRecord>();
  ASSIGN_OR_RETURN(CvmRecord c, ReadCvmRow(q));
  ASSIGN_OR_RETURN(const bool second, q.Step());
  if (second) {
    return FailedPrecondition("'" + arg + "' matches more than one CVM; use its name or id");
  }
  return std::optional<CvmRecord>(std::move(c));
}

Result<CvmRecord> StateStore::GetCvm(const std::string& id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(std::optional<CvmRecord> c, QueryOneLocked("id = ?", id));
  if (!c) return NotFound("no CVM with id " + id);
  return std::move(*c);
}

Result<std::optional<CvmRecord>> StateStore::FindCvm(const std::string& ref) {
  std::lock_guard lock(mu_);
  for (std::string_view where : {"id = ?", "name = ?", "app_id = ?"}) {
    ASSIGN_OR_RETURN(std::optional<CvmRecord> c, QueryOneLocked(where, ref));
    if (c) return c;
  }
  return std::optional<CvmRecord>();
}

Result<std::optional<CvmRecord>> StateStore::FindCvmByName(const std::string& name) {
  std::lock_guard lock(mu_);
  return QueryOneLocked("name = ?", name);
}

Result<std::vector<CvmRecord>> StateStore::ListCvms(bool include_removed) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement q, db_->Prepare(std::string("SELECT ") + kCvmColumns + " FROM cvms" +
                                             (include_removed ? "" : " WHERE status != 'removed'") +
                                             " ORDER BY created_at, id"));
  std::vector<CvmRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(CvmRecord c, ReadCvmRow(q));
    out.push_back(std::move(c));
  }
  return out;
}

Status StateStore::AppendEvent(const std::string& cvm_id, const EventSpec& event) {
  std::lock_guard lock(mu_);
  return AppendEventLocked(cvm_id, event);
}

Result<std::vector<CvmEvent>> StateStore::Events(const std::string& cvm_id, int limit) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement q,
                   db_->Prepare("SELECT seq, cvm_id, at, kind, message FROM (SELECT * FROM events "
                                "WHERE cvm_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq"));
  q.Bind(1, cvm_id).Bind(2, int64_t{limit});
  std::vector<CvmEvent> out;
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) break;
    out.push_back(CvmEvent{q.ColumnInt(0), q.ColumnText(1), q.ColumnInt(2), q.ColumnText(3),
                           q.ColumnText(4)});
  }
  return out;
}

Result<std::vector<StateStore::ManifestHistoryEntry>> StateStore::ManifestHistory(
    const std::string& cvm_id) {
  std::lock_guard lock(mu_);
  std::vector<ManifestHistoryEntry> out;
  if (schema_version_ < 2) return out;
  ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT generation, manifest_hash, at FROM "
                                             "manifest_history WHERE cvm_id = ? ORDER BY "
                                             "generation"));
  q.Bind(1, cvm_id);
  for (;;) {
    ASSIGN_OR_RETURN(const bool row, q.Step());
    if (!row) break;
    out.push_back(ManifestHistoryEntry{q.ColumnInt(0), q.ColumnText(1), q.ColumnInt(2)});
  }
  return out;
}

Result<std::optional<std::string>> StateStore::PortHolder(uint16_t port,
                                                          const std::string& protocol) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT c.name FROM port_reservations r JOIN cvms c "
                                             "ON c.id = r.cvm_id WHERE r.host_port = ? AND "
                                             "r.protocol = ?"));
  q.Bind(1, int64_t{port}).Bind(2, protocol);
  ASSIGN_OR_RETURN(const bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.ColumnText(0));
}

}  // namespace teecloud::node
