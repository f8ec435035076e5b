#include "agent/fake_attester.h"

#include <string_view>

namespace teecloud::agent::testing {
namespace {

constexpr std::string_view kMagic = "TEECLOUD-FAKE-QT";

}  // namespace

FakeAttester::FakeAttester() {
  boot_.mrtd = crypto::Sha384(AsBytes("fake mrtd"));
  // Two firmware-style events per boot register (digests taken as given, like CCEL entries).
  for (uint32_t imr = 0; imr < 3; ++imr) {
    for (int i = 0; i < 2; ++i) {
      attest::eventlog::RuntimeEvent ev;
      ev.imr = imr;
      ev.event_type = 0x80000001;
      const std::string label = "fake boot " + std::to_string(imr) + "/" + std::to_string(i);
      const crypto::Digest384 d = crypto::Sha384(AsBytes(label));
      ev.digest.assign(d.begin(), d.end());
      ev.payload = ToBytes(std::string_view(label));
      boot_events_.push_back(ev);
    }
  }
  const auto replayed = attest::eventlog::ReplayRuntimeLog(boot_events_);
  for (int i = 0; i < 3; ++i) boot_.rtmr[i] = replayed[i];
}

tee::PlatformInfo FakeAttester::Platform() const {
  return {"fake", true, "fake attester (tests only)"};
}

Result<Bytes> FakeAttester::GetQuote(ByteView report_data) {
  if (report_data.size() != tee::kReportDataSize) {
    return InvalidArgument("report_data must be 64 bytes");
  }
  std::lock_guard lock(mu_);
  ++quotes_;
  ByteWriter w;
  w.Append(AsBytes(kMagic));
  w.Append(report_data);
  w.Append(crypto::View(boot_.mrtd));
  for (int i = 0; i < 3; ++i) w.Append(crypto::View(boot_.rtmr[i]));
  w.Append(crypto::View(rtmr3_.rtmr3()));
  return w.Take();
}

Result<tee::Measurements> FakeAttester::ReadMeasurements() {
  std::lock_guard lock(mu_);
  tee::Measurements m = boot_;
  m.rtmr[3] = rtmr3_.rtmr3();
  return m;
}

Result<attest::eventlog::RuntimeEvent> FakeAttester::ExtendRuntimeEvent(uint32_t imr,
                                                                        std::string name,
                                                                        ByteView payload) {
  std::lock_guard lock(mu_);
  if (imr != 3) return InvalidArgument("fake attester extends RTMR3 only");
  if (fail_next_extend_) {
    fail_next_extend_ = false;
    return Internal("fake extend failure");
  }
  return rtmr3_.Extend(std::move(name), payload);
}

Result<std::vector<attest::eventlog::RuntimeEvent>> FakeAttester::ReadEventLog() {
  std::lock_guard lock(mu_);
  std::vector<attest::eventlog::RuntimeEvent> all = boot_events_;
  all.insert(all.end(), rtmr3_.events().begin(), rtmr3_.events().end());
  return all;
}

Result<FakeQuote> FakeAttester::ParseQuote(ByteView quote) {
  ByteReader r(quote);
  ASSIGN_OR_RETURN(ByteView magic, r.Take(kMagic.size(), "fake quote magic"));
  if (AsStringView(magic) != kMagic) return InvalidArgument("not a fake quote");
  FakeQuote q;
  ASSIGN_OR_RETURN(ByteView rd, r.Take(64, "report_data"));
  q.report_data = ToBytes(rd);
  ASSIGN_OR_RETURN(ByteView mrtd, r.Take(48, "mrtd"));
  std::copy(mrtd.begin(), mrtd.end(), q.measurements.mrtd.begin());
  for (auto& reg : q.measurements.rtmr) {
    ASSIGN_OR_RETURN(ByteView v, r.Take(48, "rtmr"));
    std::copy(v.begin(), v.end(), reg.begin());
  }
  if (!r.empty()) return InvalidArgument("fake quote: trailing bytes");
  return q;
}

void FakeAttester::FailNextExtend() {
  std::lock_guard lock(mu_);
  fail_next_extend_ = true;
}

size_t FakeAttester::quote_count() const {
  std::lock_guard lock(mu_);
  return quotes_;
}

}  // namespace teecloud::agent::testing
