#include "node/state_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "node/sqlite.h"
#include "testing/testing.h"

namespace teecloud::node {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = teecloud::testing::MakeTempDir();
    path_ = dir_ + "/state.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<StateStore> OpenStore() {
    auto s = StateStore::Open(path_, clock_);
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    return s ? std::move(*s) : nullptr;
  }

  static CvmRecord Cvm(const std::string& id, const std::string& name,
                       std::vector<PortMapping> ports = {}) {
    CvmRecord c;
    c.id = id;
    c.name = name;
    c.app_id = std::string(40, 'a');
    c.manifest_json = "{}";
    c.manifest_hash = std::string(64, 'b');
    c.ports = std::move(ports);
    c.desired = DesiredState::kRunning;
    c.status = CvmStatus::kCreating;
    return c;
  }

  FakeClock clock_{1750000000};
  std::string dir_;
  std::string path_;
};

TEST_F(StateStoreTest, CreatesTheLatestSchemaInWalMode) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->SchemaVersion().value(), kStateSchemaVersion);
  auto raw = SqliteDb::Open(path_);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ((*raw)->QueryText("PRAGMA journal_mode").value(), "wal");
}

TEST_F(StateStoreTest, InsertsFindsAndLists) {
  auto store = OpenStore();
  ASSERT_TRUE(
      store->InsertCvm(Cvm("0000000000000001", "web", {{8080, 80, "tcp"}}), {"created", "hello"}));
  clock_.Advance(5);
  CvmRecord second = Cvm("0000000000000002", "db");
  second.app_id = std::string(40, 'c');
  ASSERT_TRUE(store->InsertCvm(second, {"created", ""}));

  auto got = store->GetCvm("0000000000000001");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, "web");
  EXPECT_EQ(got->ports, (std::vector<PortMapping>{{8080, 80, "tcp"}}));
  EXPECT_EQ(got->created_at, 1750000000);
  for (const std::string& ref :
       std::vector<std::string>{"0000000000000002", "db", std::string(40, 'c')}) {
    auto f = store->FindCvm(ref);
    ASSERT_TRUE(f.has_value() && f->has_value()) << ref;
    EXPECT_EQ((*f)->name, "db");
  }
  EXPECT_FALSE(store->FindCvm("nope").value().has_value());
  auto list = store->ListCvms(false).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "web");  // oldest first
  EXPECT_EQ(store->PortHolder(8080, "tcp").value(), std::optional<std::string>("web"));
  EXPECT_FALSE(store->PortHolder(8080, "udp").value().has_value());
  auto events = store->Events("0000000000000001", 10).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "created");
}

TEST_F(StateStoreTest, AmbiguousAppIdIsAnError) {
  auto store = OpenStore();
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000001", "a"), {}));
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000002", "b"), {}));
  auto f = store->FindCvm(std::string(40, 'a'));
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, Code::kFailedPrecondition);
}

TEST_F(StateStoreTest, DuplicateNameChangesNothing) {
  auto store = OpenStore();
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000001", "web"), {"created", ""}));
  auto s = store->InsertCvm(Cvm("0000000000000002", "web", {{9000, 90, "tcp"}}), {"created", ""});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Code::kAlreadyExists);
  EXPECT_EQ(store->ListCvms(true).value().size(), 1u);
  EXPECT_FALSE(store->PortHolder(9000, "tcp").value().has_value());
}

TEST_F(StateStoreTest, PortConflictNamesTheHolderAndChangesNothing) {
  auto store = OpenStore();
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000001", "web", {{8080, 80, "tcp"}}), {}));
  auto s = store->InsertCvm(Cvm("0000000000000002", "api", {{9090, 90, "tcp"}, {8080, 80, "tcp"}}),
                            {"created", ""});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Code::kAlreadyExists);
  EXPECT_NE(s.error().message.find("8080/tcp"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("'web'"), std::string::npos) << s.error().message;
  EXPECT_FALSE(store->GetCvm("0000000000000002").has_value());
  EXPECT_FALSE(store->PortHolder(9090, "tcp").value().has_value());
  EXPECT_TRUE(store->Events("0000000000000002", 10).value().empty());
}

TEST_F(StateStoreTest, FailedMutationRollsBackEverything) {
  auto store = OpenStore();
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000001", "web"), {}));
  auto r = store->UpdateCvm("0000000000000001", [](CvmRecord& c, EventSpec& ev) -> Status {
    c.status = CvmStatus::kRunning;
    c.ports = {{7000, 70, "tcp"}};
    ev = {"running", "x"};
    return Internal("changed my mind");
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(store->GetCvm("0000000000000001")->status, CvmStatus::kCreating);
  EXPECT_FALSE(store->PortHolder(7000, "tcp").value().has_value());
  EXPECT_TRUE(store->Events("0000000000000001", 10).value().empty());
}

TEST_F(StateStoreTest, UpdateMovesPortReservationsAndRefusesTakenOnes) {
  auto store = OpenStore();
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000001", "web", {{8080, 80, "tcp"}}), {}));
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000002", "api", {{9090, 90, "tcp"}}), {}));
  auto moved = store->UpdateCvm("0000000000000001", [](CvmRecord& c, EventSpec&) {
    c.ports = {{8081, 80, "tcp"}};
    return OkStatus();
  });
  ASSERT_TRUE(moved.has_value());
  EXPECT_FALSE(store->PortHolder(8080, "tcp").value().has_value());
  EXPECT_EQ(store->PortHolder(8081, "tcp").value(), std::optional<std::string>("web"));
  auto taken = store->UpdateCvm("0000000000000001", [](CvmRecord& c, EventSpec& ev) {
    c.ports = {{9090, 80, "tcp"}};
    ev = {"upgraded", ""};
    return OkStatus();
  });
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code, Code::kAlreadyExists);
  EXPECT_EQ(store->GetCvm("0000000000000001")->ports,
            (std::vector<PortMapping>{{8081, 80, "tcp"}}));
}

TEST_F(StateStoreTest, TombstonesHoldNoPortsAndDeleteCascades) {
  auto store = OpenStore();
  ASSERT_TRUE(
      store->InsertCvm(Cvm("0000000000000001", "web", {{8080, 80, "tcp"}}), {"created", ""}));
  ASSERT_TRUE(store->UpdateCvm("0000000000000001", [](CvmRecord& c, EventSpec&) {
    c.desired = DesiredState::kRemoved;
    c.status = CvmStatus::kRemoved;
    return OkStatus();
  }));
  EXPECT_FALSE(store->PortHolder(8080, "tcp").value().has_value());
  EXPECT_TRUE(store->ListCvms(false).value().empty());
  EXPECT_EQ(store->ListCvms(true).value().size(), 1u);
  ASSERT_TRUE(store->DeleteCvm("0000000000000001"));
  EXPECT_TRUE(store->Events("0000000000000001", 10).value().empty());
  EXPECT_TRUE(store->ManifestHistory("0000000000000001").value().empty());
  EXPECT_EQ(store->DeleteCvm("0000000000000001").error().code, Code::kNotFound);
}

TEST_F(StateStoreTest, RecordsManifestHistoryPerGeneration) {
  auto store = OpenStore();
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000001", "web"), {}));
  clock_.Advance(10);
  ASSERT_TRUE(store->UpdateCvm("0000000000000001", [](CvmRecord& c, EventSpec&) {
    c.generation = 2;
    c.manifest_hash = std::string(64, 'd');
    return OkStatus();
  }));
  auto h = store->ManifestHistory("0000000000000001").value();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].manifest_hash, std::string(64, 'b'));
  EXPECT_EQ(h[1].generation, 2);
  EXPECT_EQ(h[1].at, 1750000010);
}

TEST_F(StateStoreTest, EventsAreBoundedPerCvm) {
  auto store = OpenStore();
  ASSERT_TRUE(store->InsertCvm(Cvm("0000000000000001", "web"), {"created", ""}));
  for (int i = 0; i < kMaxEventsPerCvm + 10; ++i) {
    ASSERT_TRUE(store->AppendEvent("0000000000000001", {"tick", std::to_string(i)}));
  }
  auto events = store->Events("0000000000000001", 10000).value();
  ASSERT_EQ(events.size(), static_cast<size_t>(kMaxEventsPerCvm));
  EXPECT_EQ(events.back().message, std::to_string(kMaxEventsPerCvm + 9));
  auto last3 = store->Events("0000000000000001", 3).value();
  ASSERT_EQ(last3.size(), 3u);
  EXPECT_EQ(last3.front().message, std::to_string(kMaxEventsPerCvm + 7));  // oldest first
}

TEST_F(StateStoreTest, MigratesFromVersionOneKeepingData) {
  {
    auto v1 = StateStore::OpenAtVersion(path_, clock_, 1);
    ASSERT_TRUE(v1.has_value()) << v1.error().ToString();
    EXPECT_EQ((*v1)->SchemaVersion().value(), 1);
  }
  {
    // A row as a version-1 node wrote it (today's InsertCvm writes later columns).
    auto raw = SqliteDb::Open(path_);
    ASSERT_TRUE(raw.has_value());
    ASSERT_TRUE((*raw)->Exec(
        "INSERT INTO cvms (id, name, app_id, instance_id, manifest_json, manifest_hash, "
        "ports_json, restart_policy, desired_state, status, created_at, updated_at) VALUES "
        "('0000000000000001', 'web', '" +
        std::string(40, 'a') + "', '', '{}', '" + std::string(64, 'b') +
        "', '[{\"host\":8080,\"cvm\":80,\"protocol\":\"tcp\"}]', 'always', 'running', "
        "'running', 1, 1)"));
  }
  auto store = OpenStore();
  EXPECT_EQ(store->SchemaVersion().value(), kStateSchemaVersion);
  auto c = store->GetCvm("0000000000000001");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->ports.size(), 1u);
  EXPECT_TRUE(c->sealed_env.empty());  // version 3's column, defaulted
  auto h = store->ManifestHistory("0000000000000001").value();
  ASSERT_EQ(h.size(), 1u);  // seeded from the current manifest by the migration to version 2
  EXPECT_EQ(h[0].manifest_hash, std::string(64, 'b'));
}

TEST_F(StateStoreTest, KeepsTheSealedEnvOfACvm) {
  auto store = OpenStore();
  CvmRecord c = Cvm("0000000000000001", "web", {});
  c.sealed_env = Bytes{1, 2, 3, 0, 255};
  ASSERT_TRUE(store->InsertCvm(c, {"created", ""}));
  EXPECT_EQ(store->GetCvm(c.id)->sealed_env, c.sealed_env);
  ASSERT_TRUE(store->UpdateCvm(c.id, [](CvmRecord& r, EventSpec&) {
    r.sealed_env = Bytes{9};
    return OkStatus();
  }));
  EXPECT_EQ(store->GetCvm(c.id)->sealed_env, Bytes{9});
}

TEST_F(StateStoreTest, RefusesADatabaseFromANewerNode) {
  {
    auto raw = SqliteDb::Open(path_);
    ASSERT_TRUE(raw.has_value());
    ASSERT_TRUE((*raw)->Exec("PRAGMA user_version=99"));
  }
  auto s = StateStore::Open(path_, clock_);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Code::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

// Crash safety: a writer killed with SIGKILL right after its commits loses none of them.
TEST_F(StateStoreTest, CommittedChangesSurviveSigkillOfTheWriter) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FakeClock clock(1750000000);
    auto store = StateStore::Open(path_, clock);
    if (!store) ::_exit(10);
    if (!(*store)->InsertCvm(Cvm("0000000000000001", "web", {{8080, 80, "tcp"}}),
                             {"created", ""})) {
      ::_exit(11);
    }
    if (!(*store)->UpdateCvm("0000000000000001", [](CvmRecord& c, EventSpec& ev) {
          c.status = CvmStatus::kRunning;
          c.agent = {4242, 77};
          ev = {"running", ""};
          return OkStatus();
        })) {
      ::_exit(12);
    }
    ::kill(::getpid(), SIGKILL);  // no destructor, no checkpoint, no close
    ::_exit(13);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  auto store = OpenStore();
  auto c = store->GetCvm("0000000000000001");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->status, CvmStatus::kRunning);
  EXPECT_EQ(c->agent, (AgentProcess{4242, 77}));
  EXPECT_EQ(store->PortHolder(8080, "tcp").value(), std::optional<std::string>("web"));
  EXPECT_EQ(store->Events("0000000000000001", 10).value().size(), 2u);
}

}  // namespace
}  // namespace teecloud::node
