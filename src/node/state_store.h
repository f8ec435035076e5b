// The node's durable state: CVMs, their events and host-port reservations, in one SQLite file.
//
// Durability: WAL journal with synchronous=FULL, so a committed change survives a node SIGKILL
// or power loss; every multi-step change runs in one BEGIN IMMEDIATE transaction, so a crash
// leaves either all of it or none. The schema is versioned (PRAGMA user_version) and migrated
// forward on open, one transaction per step; a database from a newer node is refused.
//
// Thread-safe: one connection behind a mutex (the node's write rate is tiny).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "node/cvm.h"
#include "node/sqlite.h"

namespace teecloud::node {

// What the newest schema is; Open migrates to it.
inline constexpr int kStateSchemaVersion = 3;
// Events kept per CVM (older ones are dropped in the same transaction that adds new ones).
inline constexpr int kMaxEventsPerCvm = 500;

// An event to record together with a change.
struct EventSpec {
  std::string kind;
  std::string message;
};

class StateStore {
 public:
  // Opens or creates the database at `path` and migrates it. `clock` stamps rows and events and
  // must outlive the store.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path, const Clock& clock);

  // Opens without migrating past `target_version` (tests of the migration path).
  static Result<std::unique_ptr<StateStore>> OpenAtVersion(const std::string& path,
                                                           const Clock& clock, int target_version);

  Result<int> SchemaVersion();

  // Inserts a new CVM, reserves its host ports and records `event`, atomically. Fails with
  // kAlreadyExists, changing nothing, when the name or a host port is taken; the message names
  // the CVM holding it.
  Status InsertCvm(const CvmRecord& cvm, const EventSpec& event);

  // Reads the CVM `id`, lets `mutate` change it, writes it back with `updated_at` = now and the
  // event `mutate` fills in (kind empty: none) — all in one transaction. When the ports change,
  // reservations follow (kAlreadyExists naming the holder when a new port is taken; nothing
  // changes then). `mutate` returning an error rolls everything back. Returns the new record.
  using Mutator = std::function<Status(CvmRecord&, EventSpec&)>;
  Result<CvmRecord> UpdateCvm(const std::string& id, const Mutator& mutate);

  // Deletes the CVM with its events and reservations.
  Status DeleteCvm(const std::string& id);

  Result<CvmRecord> GetCvm(const std::string& id);
  // By id, then name, then app_id (an app deployed once). nullopt when none matches.
  Result<std::optional<CvmRecord>> FindCvm(const std::string& ref);
  Result<std::optional<CvmRecord>> FindCvmByName(const std::string& name);
  // Oldest first. Tombstones (desired = removed, status = removed) only with include_removed.
  Result<std::vector<CvmRecord>> ListCvms(bool include_removed);

  Status AppendEvent(const std::string& cvm_id, const EventSpec& event);
  // The newest `limit` events of a CVM, oldest first.
  Result<std::vector<CvmEvent>> Events(const std::string& cvm_id, int limit);

  // The manifests a CVM has run, oldest first (generation, manifest hash, when).
  struct ManifestHistoryEntry {
    int64_t generation = 0;
    std::string manifest_hash;
    UnixTime at = 0;
  };
  Result<std::vector<ManifestHistoryEntry>> ManifestHistory(const std::string& cvm_id);

  // The name of the CVM holding host port `port`/`protocol` (nullopt: free).
  Result<std::optional<std::string>> PortHolder(uint16_t port, const std::string& protocol);

 private:
  StateStore(std::unique_ptr<SqliteDb> db, const Clock& clock)
      : db_(std::move(db)), clock_(clock) {}
  Status Migrate(int target_version);
  Result<std::optional<CvmRecord>> QueryOneLocked(std::string_view where, const std::string& arg);
  Status AppendEventLocked(const std::string& cvm_id, const EventSpec& event);
  Status ReservePortsLocked(const CvmRecord& cvm);
  Status RecordManifestLocked(const CvmRecord& cvm);

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  int schema_version_ = 0;  // after Migrate
  const Clock& clock_;
};

}  // namespace teecloud::node
