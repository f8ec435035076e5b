#include "compose/log_stream.h"

#include <gtest/gtest.h>

namespace teecloud::compose {
namespace {

std::string Frame(uint8_t stream, std::string_view payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + std::string(payload);
}

TEST(LogDemuxerTest, SplitsFramesByStream) {
  LogDemuxer d(false);
  std::vector<LogChunk> out;
  const std::string data = Frame(1, "hello\n") + Frame(2, "oops\n") + Frame(1, "");
  ASSERT_TRUE(d.Feed(AsBytes(data), out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].stream, LogStream::kStdout);
  EXPECT_EQ(out[0].data, "hello\n");
  EXPECT_EQ(out[1].stream, LogStream::kStderr);
  EXPECT_EQ(out[1].data, "oops\n");
  EXPECT_EQ(out[2].data, "");
  EXPECT_TRUE(d.AtFrameBoundary());
}

TEST(LogDemuxerTest, FramesSplitAcrossFeedsAtEveryOffset) {
  const std::string data =
      Frame(1, "first line\n") + Frame(2, std::string(300, 'e')) + Frame(1, "x");
  for (size_t cut1 = 0; cut1 <= data.size(); cut1 += 3) {
    for (size_t cut2 = cut1; cut2 <= data.size(); cut2 += 7) {
      LogDemuxer d(false);
      std::vector<LogChunk> out;
      ASSERT_TRUE(d.Feed(AsBytes(std::string_view(data).substr(0, cut1)), out));
      ASSERT_TRUE(d.Feed(AsBytes(std::string_view(data).substr(cut1, cut2 - cut1)), out));
      ASSERT_TRUE(d.Feed(AsBytes(std::string_view(data).substr(cut2)), out));
      ASSERT_EQ(out.size(), 3u) << cut1 << "/" << cut2;
      EXPECT_EQ(out[0].data, "first line\n");
      EXPECT_EQ(out[1].data, std::string(300, 'e'));
      EXPECT_EQ(out[2].data, "x");
      EXPECT_TRUE(d.AtFrameBoundary());
    }
  }
}

TEST(LogDemuxerTest, PartialFrameIsPending) {
  LogDemuxer d(false);
  std::vector<LogChunk> out;
  const std::string f = Frame(1, "abcdef");
  ASSERT_TRUE(d.Feed(AsBytes(std::string_view(f).substr(0, 10)), out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(d.AtFrameBoundary());
}

TEST(LogDemuxerTest, CorruptHeaderFailsAndStaysFailed) {
  LogDemuxer d(false);
  std::vector<LogChunk> out;
  auto st = d.Feed(AsBytes("plain text that is not framed"), out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kDataLoss);
  EXPECT_FALSE(d.Feed(AsBytes(Frame(1, "ok")), out));
}

TEST(LogDemuxerTest, OversizedFrameFails) {
  LogDemuxer d(false);
  std::vector<LogChunk> out;
  const std::string h = std::string("\x01\0\0\0\x7f\xff\xff\xff", 8);
  EXPECT_FALSE(d.Feed(AsBytes(h), out));
}

TEST(LogDemuxerTest, TtyStreamIsRawStdout) {
  LogDemuxer d(true);
  std::vector<LogChunk> out;
  ASSERT_TRUE(d.Feed(AsBytes("\x01raw bytes"), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].stream, LogStream::kStdout);
  EXPECT_EQ(out[0].data, "\x01raw bytes");
}

TEST(LineSplitterTest, SplitsPerStreamAndFlushes) {
  LineSplitter s;
  std::vector<std::pair<LogStream, std::string>> lines;
  const auto sink = [&](LogStream st, std::string_view l) { lines.emplace_back(st, l); };
  s.Feed({LogStream::kStdout, "a1\na"}, sink);
  s.Feed({LogStream::kStderr, "e1\r\n"}, sink);
  s.Feed({LogStream::kStdout, "2\n\nlast"}, sink);
  s.Flush(sink);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], std::make_pair(LogStream::kStdout, std::string("a1")));
  EXPECT_EQ(lines[1], std::make_pair(LogStream::kStderr, std::string("e1")));
  EXPECT_EQ(lines[2], std::make_pair(LogStream::kStdout, std::string("a2")));
  EXPECT_EQ(lines[3], std::make_pair(LogStream::kStdout, std::string("")));
  EXPECT_EQ(lines[4], std::make_pair(LogStream::kStdout, std::string("last")));
}

}  // namespace
}  // namespace teecloud::compose
