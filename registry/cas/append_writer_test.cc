#include "registry/cas/append_writer.h"

#include <fcntl.h>

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "common/fs/fault_injection_env.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace fairtrace {
namespace {

std::string Random(size_t n, int seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class AppendWriterTest : public ::testing::Test {
 protected:
  std::filesystem::path path() { return dir_.path() / "f"; }
  fs::Fd OpenRw() { return *fs::OpenFile(path(), O_RDWR | O_CREAT); }
  testing::TempDir dir_;
};

TEST_F(AppendWriterTest, UnalignedAppendsLandIntact) {
  std::string data = Random((9 << 20) + 12345, 1);
  fs::Fd fd = OpenRw();
  ASSERT_OK_AND_ASSIGN(auto w, AppendWriter::Open(path(), fd.get(), 0));
  for (size_t off = 0; off < data.size();) {
    size_t n = std::min<size_t>(data.size() - off, 100000 + off % 7777);
    ASSERT_OK(w->Append(absl::string_view(data).substr(off, n)));
    off += n;
  }
  EXPECT_EQ(w->size(), static_cast<int64_t>(data.size()));
  ASSERT_OK(w->Flush());
  EXPECT_EQ(ReadFile(path()), data);
}

TEST_F(AppendWriterTest, FileHoldsAPrefixBeforeFlush) {
  std::string data = Random(5 << 20, 2);
  fs::Fd fd = OpenRw();
  ASSERT_OK_AND_ASSIGN(auto w, AppendWriter::Open(path(), fd.get(), 0));
  ASSERT_OK(w->Append(data));
  std::string on_disk = ReadFile(path());
  EXPECT_LE(on_disk.size(), data.size());
  EXPECT_EQ(on_disk, data.substr(0, on_disk.size()));  // never garbage
}

TEST_F(AppendWriterTest, ResumesFromAnUnalignedSize) {
  std::string data = Random((6 << 20) + 777, 3);
  size_t cut = 1234567;  // not a multiple of 4096
  {
    fs::Fd fd = OpenRw();
    ASSERT_OK_AND_ASSIGN(auto w, AppendWriter::Open(path(), fd.get(), 0));
    ASSERT_OK(w->Append(absl::string_view(data).substr(0, cut)));
    ASSERT_OK(w->Flush());
  }
  ASSERT_EQ(std::filesystem::file_size(path()), cut);
  fs::Fd fd = OpenRw();
  ASSERT_OK_AND_ASSIGN(auto w, AppendWriter::Open(path(), fd.get(), static_cast<int64_t>(cut)));
  ASSERT_OK(w->Append(absl::string_view(data).substr(cut)));
  ASSERT_OK(w->Flush());
  ASSERT_OK(w->Flush());  // idempotent
  EXPECT_EQ(ReadFile(path()), data);
}

// The observer sees every appended byte once and in order (blocks from the
// write-behind thread, the rest in Flush), never the bytes on disk before
// Open, and has seen everything once Flush returns — also across a Flush
// in the middle of the stream.
TEST_F(AppendWriterTest, TheObserverSeesEachAppendedByteOnceInOrder) {
  std::string data = Random((10 << 20) + 4321, 5);
  const size_t before = 5000;  // on disk already, unaligned
  {
    fs::Fd fd = OpenRw();
    ASSERT_OK_AND_ASSIGN(auto w, AppendWriter::Open(path(), fd.get(), 0));
    ASSERT_OK(w->Append(absl::string_view(data).substr(0, before)));
    ASSERT_OK(w->Flush());
  }
  std::string seen;
  fs::Fd fd = OpenRw();
  ASSERT_OK_AND_ASSIGN(auto w, AppendWriter::Open(path(), fd.get(), static_cast<int64_t>(before), fs::Env::Default(),
                                                  [&seen](absl::string_view b) { seen.append(b.data(), b.size()); }));
  const size_t middle = (6 << 20) + 17;
  for (size_t off = before; off < data.size();) {
    size_t n = std::min<size_t>(data.size() - off, 65536 + off % 999);
    if (off < middle && off + n > middle) n = middle - off;
    ASSERT_OK(w->Append(absl::string_view(data).substr(off, n)));
    off += n;
    if (off == middle) {
      ASSERT_OK(w->Flush());
      EXPECT_EQ(seen, data.substr(before, middle - before));
    }
  }
  ASSERT_OK(w->Flush());
  EXPECT_EQ(seen.size(), data.size() - before);
  EXPECT_TRUE(seen == data.substr(before));
  EXPECT_EQ(ReadFile(path()), data);
}

// A block written behind that fails: its error comes back from a later call
// and from every call after it, and no later byte lands beyond the hole.
// (Where the filesystem refuses O_DIRECT there is no write-behind; the
// buffered write fails at once, which the same assertions accept.)
TEST_F(AppendWriterTest, AFailedWriteBehindBreaksTheWriter) {
  fs::FaultInjectionEnv env;
  env.Arm({.op = fs::Env::Op::kWrite, .nth = 2, .fault = fs::FaultInjectionEnv::Fault::kNoSpace});
  std::string data = Random(12 << 20, 4);
  fs::Fd fd = OpenRw();
  ASSERT_OK_AND_ASSIGN(auto w, AppendWriter::Open(path(), fd.get(), 0, &env));
  absl::Status first;
  for (size_t off = 0; off < data.size() && first.ok(); off += 1 << 20) {
    first = w->Append(absl::string_view(data).substr(off, 1 << 20));
  }
  if (first.ok()) first = w->Flush();
  EXPECT_FALSE(first.ok());
  EXPECT_TRUE(env.fired());
  EXPECT_FALSE(w->Flush().ok());
  EXPECT_FALSE(w->Append("more").ok());
  // A correct prefix, ending at most where the failed (second) block ends:
  // nothing after it was written.
  std::string on_disk = ReadFile(path());
  EXPECT_GE(on_disk.size(), size_t{4} << 20);
  EXPECT_LE(on_disk.size(), size_t{8} << 20);
  EXPECT_EQ(on_disk, data.substr(0, on_disk.size()));
}

}  // namespace
}  // namespace fairtrace
