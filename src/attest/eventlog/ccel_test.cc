#include "attest/eventlog/ccel.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "crypto/hash.h"
#include "testing/testing.h"

namespace teecloud::attest::eventlog {
namespace {

// ---------------------------------------------------------------------------------------------
// A tiny log writer for synthetic logs (PFP §10.2.1 header + §10.2.2 records).

struct TestEvent {
  uint32_t mr_index;
  uint32_t event_type;
  std::vector<std::pair<uint16_t, Bytes>> digests;
  Bytes data;
};

Bytes Filled(size_t n, uint8_t v) { return Bytes(n, v); }

Bytes SpecIdEventBytes(const std::vector<std::pair<uint16_t, uint16_t>>& algs) {
  ByteWriter w;
  w.Append(AsBytes(std::string_view("Spec ID Event03\0", 16)));
  w.U32Le(0);  // platformClass
  w.U8(0);     // specVersionMinor
  w.U8(2);     // specVersionMajor
  w.U8(0);     // specErrata
  w.U8(2);     // uintnSize
  w.U32Le(static_cast<uint32_t>(algs.size()));
  for (const auto& [alg, size] : algs) {
    w.U16Le(alg);
    w.U16Le(size);
  }
  w.U8(0);  // vendorInfoSize
  return w.Take();
}

Bytes HeaderRecord(ByteView spec_id, uint32_t event_type = kEvNoAction) {
  ByteWriter w;
  w.U32Le(1);  // CCEL producers (TDVF) write MR index 1 here
  w.U32Le(event_type);
  w.Zeros(20);
  w.U32Le(static_cast<uint32_t>(spec_id.size()));
  w.Append(spec_id);
  return w.Take();
}

Bytes EventRecord(const TestEvent& ev) {
  ByteWriter w;
  w.U32Le(ev.mr_index);
  w.U32Le(ev.event_type);
  w.U32Le(static_cast<uint32_t>(ev.digests.size()));
  for (const auto& [alg, digest] : ev.digests) {
    w.U16Le(alg);
    w.Append(digest);
  }
  w.U32Le(static_cast<uint32_t>(ev.data.size()));
  w.Append(ev.data);
  return w.Take();
}

const std::vector<std::pair<uint16_t, uint16_t>> kSha384Only = {{kAlgSha384, 48}};

std::vector<TestEvent> SampleEvents() {
  return {
      {1, 0x80000001, {{kAlgSha384, Filled(48, 0x11)}}, ToBytes("rtmr0 event")},
      {1, kEvNoAction, {{kAlgSha384, Filled(48, 0x00)}}, ToBytes("not extended")},
      {2, 0x0000000D, {{kAlgSha384, Filled(48, 0x22)}}, ToBytes("rtmr1 event")},
      {0, 0x00000001, {{kAlgSha384, Filled(48, 0x33)}}, ToBytes("mrtd: not replayed")},
      {1, 0x80000002, {{kAlgSha384, Filled(48, 0x44)}}, {}},
      {4, 0x08000001, {{kAlgSha384, Filled(48, 0x55)}}, ToBytes("rtmr3")},
  };
}

// Header + records + `fill_size` bytes of `fill`.
Bytes BuildLog(const std::vector<TestEvent>& events, size_t fill_size = 64, uint8_t fill = 0xFF,
               const std::vector<std::pair<uint16_t, uint16_t>>& algs = kSha384Only) {
  ByteWriter w;
  w.Append(HeaderRecord(SpecIdEventBytes(algs)));
  for (const TestEvent& ev : events) w.Append(EventRecord(ev));
  w.Append(Filled(fill_size, fill));
  return w.Take();
}

Digest384 Extend(const Digest384& reg, ByteView digest) {
  return crypto::Sha384(Concat({crypto::View(reg), digest}));
}

// ---------------------------------------------------------------------------------------------
// Synthetic logs.

TEST(CcelTest, ParsesSyntheticLogWithFfFill) {
  Bytes log_bytes = BuildLog(SampleEvents(), 256, 0xFF);
  auto log = ParseCcel(log_bytes);
  ASSERT_TRUE(log) << log.error().ToString();
  EXPECT_EQ(log->header_mr_index, 1u);
  EXPECT_EQ(log->spec_id.spec_version_major, 2);
  EXPECT_EQ(log->spec_id.uintn_size, 2);
  ASSERT_EQ(log->spec_id.algorithms.size(), 1u);
  EXPECT_EQ(log->spec_id.algorithms[0], std::make_pair(kAlgSha384, uint16_t{48}));
  ASSERT_EQ(log->events.size(), 6u);
  EXPECT_EQ(log->log_size, log_bytes.size() - 256);
  EXPECT_EQ(log->events[2].mr_index, 2u);
  EXPECT_EQ(log->events[2].event_type, 0x0Du);
  EXPECT_EQ(AsStringView(log->events[2].event_data), "rtmr1 event");
  EXPECT_TRUE(BytesEqual(log->events[2].DigestFor(kAlgSha384), Filled(48, 0x22)));
  EXPECT_TRUE(log->events[2].DigestFor(kAlgSha256).empty());
  EXPECT_TRUE(log->events[4].event_data.empty());
}

TEST(CcelTest, EndsAtZeroFillAndAtEndOfInput) {
  Bytes zero_filled = BuildLog(SampleEvents(), 100, 0x00);
  auto a = ParseCcel(zero_filled);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->events.size(), 6u);
  EXPECT_EQ(a->log_size, zero_filled.size() - 100);

  Bytes no_fill = BuildLog(SampleEvents(), 0);
  auto b = ParseCcel(no_fill);
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ(b->events.size(), 6u);
  EXPECT_EQ(b->log_size, no_fill.size());

  // A few fill bytes too short to be a record header are still fill.
  for (size_t n = 1; n < 8; ++n) {
    EXPECT_TRUE(ParseCcel(BuildLog(SampleEvents(), n, 0xFF))) << n;
    EXPECT_TRUE(ParseCcel(BuildLog(SampleEvents(), n, 0x00))) << n;
  }
  // Header only: a valid, empty log.
  auto empty = ParseCcel(BuildLog({}, 32));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->events.empty());
}

TEST(CcelTest, ReplaySkipsNoActionAndMrtd) {
  auto log = ParseCcel(BuildLog(SampleEvents()));
  ASSERT_TRUE(log);
  Digest384 zero{};
  Digest384 rtmr0 = Extend(Extend(zero, Filled(48, 0x11)), Filled(48, 0x44));
  Digest384 rtmr1 = Extend(zero, Filled(48, 0x22));
  Digest384 rtmr3 = Extend(zero, Filled(48, 0x55));
  auto replayed = ReplayRtmrs(*log);
  EXPECT_EQ(replayed[0], rtmr0);
  EXPECT_EQ(replayed[1], rtmr1);
  EXPECT_EQ(replayed[2], zero);
  EXPECT_EQ(replayed[3], rtmr3);
  auto counts = ExtendedEventsPerMrIndex(*log);
  EXPECT_EQ(counts, (std::array<size_t, 5>{1, 2, 1, 0, 1}));
}

TEST(CcelTest, MultipleBanksReplayUsesSha384) {
  std::vector<std::pair<uint16_t, uint16_t>> algs = {{kAlgSha256, 32}, {kAlgSha384, 48}};
  std::vector<TestEvent> events = {
      {1, 0x80000001, {{kAlgSha256, Filled(32, 0xAA)}, {kAlgSha384, Filled(48, 0xBB)}}, {}},
  };
  auto log = ParseCcel(BuildLog(events, 16, 0xFF, algs));
  ASSERT_TRUE(log) << log.error().ToString();
  ASSERT_EQ(log->events[0].digests.size(), 2u);
  EXPECT_EQ(ReplayRtmrs(*log)[0], Extend(Digest384{}, Filled(48, 0xBB)));
}

// Expects ParseCcel to fail with a message containing `needle`.
void ExpectRejected(ByteView bytes, const std::string& needle) {
  auto log = ParseCcel(bytes);
  ASSERT_FALSE(log) << "accepted; expected an error containing: " << needle;
  // Truncation comes from ByteReader as kOutOfRange; everything else is kInvalidArgument.
  EXPECT_TRUE(log.error().code == Code::kInvalidArgument || log.error().code == Code::kOutOfRange)
      << log.error().ToString();
  EXPECT_NE(log.error().message.find(needle), std::string::npos) << log.error().message;
}

TEST(CcelTest, RejectsBadHeaderRecord) {
  ExpectRejected(Bytes{}, "header record");
  ExpectRejected(HeaderRecord(SpecIdEventBytes(kSha384Only), 0x80000001), "EV_NO_ACTION");
  Bytes bad_sig = SpecIdEventBytes(kSha384Only);
  bad_sig[14] = '2';  // "Spec ID Event02": the SHA-1-only legacy log
  ExpectRejected(HeaderRecord(bad_sig), "Spec ID Event03");
  ExpectRejected(HeaderRecord(SpecIdEventBytes({})), "numberOfAlgorithms is 0");
  ExpectRejected(HeaderRecord(SpecIdEventBytes({{kAlgSha384, 32}})), "registry size is 48");
  ExpectRejected(HeaderRecord(SpecIdEventBytes({{0x1234, 0}})), "digest size 0");
  ExpectRejected(HeaderRecord(SpecIdEventBytes({{0x1234, 65}})), "digest size 65");
  ExpectRejected(HeaderRecord(SpecIdEventBytes({{kAlgSha384, 48}, {kAlgSha384, 48}})),
                 "listed twice");
  // numberOfAlgorithms far beyond the event: bounded before any allocation.
  Bytes huge = SpecIdEventBytes(kSha384Only);
  huge[24] = huge[25] = huge[26] = huge[27] = 0xFF;
  ExpectRejected(HeaderRecord(huge), "exceeds the event size");
  // Event size past the end of the input.
  Bytes header = HeaderRecord(SpecIdEventBytes(kSha384Only));
  header[28] = 0xFF;
  header[29] = 0xFF;
  ExpectRejected(header, "event data");
}

TEST(CcelTest, RejectsBadRecords) {
  auto with = [](TestEvent ev) { return BuildLog({SampleEvents()[0], std::move(ev)}); };
  ExpectRejected(with({1, 1, {{kAlgSha256, Filled(32, 1)}}, {}}), "not declared");
  ExpectRejected(with({1, 1, {{kAlgSha384, Filled(48, 1)}, {kAlgSha384, Filled(48, 1)}}, {}}),
                 "digest count 2 exceeds");
  ExpectRejected(with({5, 1, {{kAlgSha384, Filled(48, 1)}}, {}}), "mr index 5");
  ExpectRejected(with({1, 1, {}, {}}), "no SHA-384 digest");
  // The error names the record and its offset.
  ExpectRejected(with({1, 1, {}, {}}), "record 1 at offset");
  // ...but an EV_NO_ACTION record may omit digests: it is never replayed.
  EXPECT_TRUE(ParseCcel(with({1, kEvNoAction, {}, ToBytes("info")})));

  // Duplicate algorithm in one record (possible only with two declared banks).
  std::vector<std::pair<uint16_t, uint16_t>> two = {{kAlgSha256, 32}, {kAlgSha384, 48}};
  ExpectRejected(BuildLog({{1, 1, {{kAlgSha384, Filled(48, 1)}, {kAlgSha384, Filled(48, 1)}}, {}}},
                          8, 0xFF, two),
                 "listed twice");
}

TEST(CcelTest, RejectsHugeDigestCountAndEventSize) {
  Bytes base = BuildLog({SampleEvents()[0]}, 0);
  size_t record = base.size() - EventRecord(SampleEvents()[0]).size();

  Bytes count = base;
  for (size_t i = 0; i < 4; ++i) count[record + 8 + i] = 0xFF;
  ExpectRejected(count, "digest count 4294967295");

  Bytes size = base;
  size_t size_at = record + 12 + 2 + 48;
  for (size_t i = 0; i < 4; ++i) size[size_at + i] = 0xFF;
  ExpectRejected(size, "event data");
  size[size_at] = static_cast<uint8_t>(SampleEvents()[0].data.size() + 1);
  for (size_t i = 1; i < 4; ++i) size[size_at + i] = 0;
  ExpectRejected(size, "event data");
}

// Cutting a log anywhere yields an error or a shorter log that is a prefix of the full one.
void CheckTruncations(ByteView full_bytes, size_t step) {
  auto full = ParseCcel(full_bytes);
  ASSERT_TRUE(full);
  for (size_t cut = 0; cut < full_bytes.size(); cut += step) {
    auto log = ParseCcel(full_bytes.first(cut));
    if (!log) continue;
    ASSERT_LE(log->events.size(), full->events.size()) << "cut " << cut;
    ASSERT_LE(log->log_size, cut);
    for (size_t i = 0; i < log->events.size(); ++i) {
      ASSERT_EQ(log->events[i].event_data, full->events[i].event_data) << "cut " << cut;
    }
  }
}

TEST(CcelTest, TruncatedAtEveryByte) {
  Bytes log_bytes = BuildLog(SampleEvents(), 0);
  CheckTruncations(log_bytes, 1);
  // Cuts on record boundaries give exactly the records before the cut; cuts inside fail.
  size_t boundary = HeaderRecord(SpecIdEventBytes(kSha384Only)).size();
  size_t expected = 0;
  for (const TestEvent& ev : SampleEvents()) {
    auto log = ParseCcel(ByteView(log_bytes).first(boundary));
    ASSERT_TRUE(log) << boundary;
    EXPECT_EQ(log->events.size(), expected);
    EXPECT_FALSE(ParseCcel(ByteView(log_bytes).first(boundary + 9)));
    boundary += EventRecord(ev).size();
    ++expected;
  }
}

TEST(CcelTest, SingleByteFlipsNeverCrash) {
  Bytes log_bytes = BuildLog(SampleEvents(), 16);
  for (size_t i = 0; i < log_bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      Bytes mutated = log_bytes;
      mutated[i] ^= mask;
      auto log = ParseCcel(mutated);
      if (log) (void)ReplayRtmrs(*log);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ACPI CCEL table.

Bytes AcpiTable(uint32_t length = 56) {
  ByteWriter w;
  w.Append(AsBytes("CCEL"));
  w.U32Le(length);
  w.U8(1);  // revision
  w.U8(0);  // checksum, fixed below
  w.Append(AsBytes("OEMID "));
  w.Append(AsBytes("TABLEID "));
  w.U32Le(7);
  w.Append(AsBytes("CRTR"));
  w.U32Le(9);
  w.U8(kCcTypeTdx);
  w.U8(0);
  w.U16Le(0);
  w.U64Le(0x10000);
  w.U64Le(0x7F000000);
  Bytes t = w.Take();
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(0x100 - sum);
  return t;
}

TEST(CcelAcpiTableTest, ParsesSyntheticTable) {
  auto t = ParseCcelAcpiTable(AcpiTable());
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->signature, "CCEL");
  EXPECT_EQ(t->length, 56u);
  EXPECT_EQ(t->revision, 1);
  EXPECT_TRUE(t->checksum_ok);
  EXPECT_EQ(t->oem_id, "OEMID ");
  EXPECT_EQ(t->oem_table_id, "TABLEID ");
  EXPECT_EQ(t->oem_revision, 7u);
  EXPECT_EQ(t->creator_id, "CRTR");
  EXPECT_EQ(t->creator_revision, 9u);
  EXPECT_EQ(t->cc_type, kCcTypeTdx);
  EXPECT_EQ(t->laml, 0x10000u);
  EXPECT_EQ(t->lasa, 0x7F000000u);
}

TEST(CcelAcpiTableTest, RejectsMalformedTables) {
  Bytes table = AcpiTable();
  Bytes wrong_sig = table;
  wrong_sig[0] = 'X';
  EXPECT_FALSE(ParseCcelAcpiTable(wrong_sig));
  EXPECT_FALSE(ParseCcelAcpiTable(AcpiTable(55)));
  EXPECT_FALSE(ParseCcelAcpiTable(AcpiTable(57)));  // declared length beyond the input
  for (size_t cut = 0; cut < table.size(); ++cut) {
    EXPECT_FALSE(ParseCcelAcpiTable(ByteView(table).first(cut))) << cut;
  }
  // A bad checksum is reported, not an error.
  Bytes bad_sum = table;
  bad_sum[50] ^= 1;
  auto t = ParseCcelAcpiTable(bad_sum);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->checksum_ok);
  // Bytes after the declared length are ignored.
  Bytes longer = table;
  longer.push_back(0xEE);
  EXPECT_TRUE(ParseCcelAcpiTable(longer));
}

// ---------------------------------------------------------------------------------------------
// Real logs from ../shared/vectors/eventlog.

// TDX report body (Intel TDX DCAP Quoting Library API §A.3.2, TD 1.0 body) starts after the
// 48-byte v4 quote header: tee_tcb_svn 16, mrseam 48, mrsignerseam 48, seam_attributes 8,
// td_attributes 8, xfam 8, mrtd 48, mrconfigid 48, mrowner 48, mrownerconfig 48 = 328 bytes,
// then rtmr0..3 (48 each) and report_data 64.
constexpr size_t kQuoteRtmr0Offset = 48 + 328;

std::array<std::array<uint8_t, 48>, 4> QuoteRtmrs(ByteView quote) {
  std::array<std::array<uint8_t, 48>, 4> out{};
  for (size_t i = 0; i < 4; ++i) {
    ByteView r = quote.subspan(kQuoteRtmr0Offset + 48 * i, 48);
    std::copy(r.begin(), r.end(), out[i].begin());
  }
  return out;
}

Json Expected(const std::string& dir) {
  auto j = ParseJson(testing::ReadVectorText(dir + "/expected.json"));
  TEECLOUD_CHECK(j.has_value());
  return *j;
}

std::string Hex(const Digest384& d) { return ToHex(crypto::View(d)); }

// Checks the parts of expected.json "eventlog" that any vector has.
void CheckAgainstExpected(const CcelLog& log, const Json& expected, size_t area_size) {
  const Json& el = expected["eventlog"];
  EXPECT_EQ(log.events.size(), el["records_after_header"].get<size_t>());
  EXPECT_EQ(log.log_size, el["log_end_offset"].get<size_t>());
  EXPECT_EQ(area_size, el["area_size"].get<size_t>());
  ASSERT_EQ(log.spec_id.algorithms.size(), 1u);
  EXPECT_EQ(log.spec_id.algorithms[0], std::make_pair(kAlgSha384, uint16_t{48}));
  auto counts = ExtendedEventsPerMrIndex(log);
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_EQ(counts[i], el["extended_events_per_mr_index"][std::to_string(i)].get<size_t>())
        << "mr index " << i;
  }
  auto replayed = ReplayRtmrs(log);
  for (size_t i = 0; i < 4; ++i) {
    std::string key = "rtmr" + std::to_string(i);
    EXPECT_EQ(Hex(replayed[i]), el["replayed"][key].get<std::string>()) << key;
  }
}

TEST(CcelVectorTest, GcpLogReplaysQuoteRtmrs) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string dir = "eventlog/t7-gcp-ccel";
  Bytes area = testing::ReadVector(dir + "/ccel_data.bin");
  Bytes quote = testing::ReadVector(dir + "/quote.bin");
  Json expected = Expected(dir);

  auto log = ParseCcel(area);
  ASSERT_TRUE(log) << log.error().ToString();
  EXPECT_EQ(log->events.size(), 43u);
  CheckAgainstExpected(*log, expected, area.size());
  // The fill after the log is 0xFF, as expected.json says.
  EXPECT_EQ(area[log->log_size], 0xFF);

  // The offsets pick the same bytes that expected.json lists as the quote's RTMRs...
  auto quote_rtmrs = QuoteRtmrs(quote);
  for (size_t i = 0; i < 4; ++i) {
    std::string key = "rtmr" + std::to_string(i);
    EXPECT_EQ(ToHex(quote_rtmrs[i]), expected["measurements"][key].get<std::string>()) << key;
  }
  // ...and the replay reproduces all of them (RTMR3 has no events: zero).
  auto replayed = ReplayRtmrs(*log);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(replayed[i], quote_rtmrs[i]) << "rtmr" << i;
  EXPECT_EQ(replayed[3], Digest384{});
}

TEST(CcelVectorTest, GcpAcpiTable) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string dir = "eventlog/t7-gcp-ccel";
  Json want = Expected(dir)["acpi_table"];
  auto t = ParseCcelAcpiTable(testing::ReadVector(dir + "/ccel_table.bin"));
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->signature, want["signature"].get<std::string>());
  EXPECT_EQ(t->length, want["length"].get<uint32_t>());
  EXPECT_EQ(t->revision, want["revision"].get<int>());
  EXPECT_EQ(t->checksum_ok, want["checksum_ok"].get<bool>());
  EXPECT_EQ(t->oem_id, want["oem_id"].get<std::string>());
  EXPECT_EQ(t->oem_table_id, want["oem_table_id"].get<std::string>());
  EXPECT_EQ(t->cc_type, want["cc_type"].get<int>());
  EXPECT_EQ(t->cc_subtype, want["cc_subtype"].get<int>());
  EXPECT_EQ(t->laml, want["laml"].get<uint64_t>());
  EXPECT_EQ(t->lasa, std::stoull(want["lasa"].get<std::string>(), nullptr, 16));
  // The table's LAML is the size of the log area that ships with it.
  EXPECT_EQ(t->laml, testing::ReadVector(dir + "/ccel_data.bin").size());
}

TEST(CcelVectorTest, DstackLogMatchesRtmr0Only) {
  TEECLOUD_REQUIRE_VECTORS();
  const std::string dir = "eventlog/t8-dstack-ccel";
  Bytes area = testing::ReadVector(dir + "/ccel.bin");
  Bytes quote = testing::ReadVector(dir + "/quote.bin");
  Json expected = Expected(dir);

  auto log = ParseCcel(area);
  ASSERT_TRUE(log) << log.error().ToString();
  EXPECT_EQ(log->events.size(), 18u);
  CheckAgainstExpected(*log, expected, area.size());

  auto quote_rtmrs = QuoteRtmrs(quote);
  auto replayed = ReplayRtmrs(*log);
  EXPECT_EQ(Hex(replayed[0]).substr(0, 8), "274c2344");
  EXPECT_EQ(Hex(replayed[0]).substr(88), "4e62af9d");
  EXPECT_EQ(replayed[0], quote_rtmrs[0]);
  // This log is from another boot stage than the quote (see expected.json notes).
  EXPECT_NE(replayed[1], quote_rtmrs[1]);
}

TEST(CcelVectorTest, TruncatedRealLogs) {
  TEECLOUD_REQUIRE_VECTORS();
  for (std::string rel :
       {"eventlog/t7-gcp-ccel/ccel_data.bin", "eventlog/t8-dstack-ccel/ccel.bin"}) {
    Bytes area = testing::ReadVector(rel);
    auto full = ParseCcel(area);
    ASSERT_TRUE(full);
    // Every byte of the log proper (plus a little fill), stepping 3 to keep the test fast.
    CheckTruncations(ByteView(area).first(full->log_size + 16), 3);
  }
}

}  // namespace
}  // namespace teecloud::attest::eventlog
