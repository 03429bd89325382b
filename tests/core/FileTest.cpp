#include <trocar/core/File.h>
#include <trocar/test/TestSupport.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdlib>

namespace trocar {
namespace {

std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(File, AtomicWriteReplacesWholeFile) {
  test::TempDir dir;
  auto path = dir / "report.json";
  ASSERT_TRUE(writeFileAtomic(path, std::string_view("old contents")).ok());
  ASSERT_TRUE(writeFileAtomic(path, std::string_view("new")).ok());
  EXPECT_EQ(readFileText(path).value(), "new");
  // No temp files are left behind after a successful write.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(File, UncommittedWriterLeavesTargetAndNoTempFile) {
  test::TempDir dir;
  auto path = dir / "a.txt";
  ASSERT_TRUE(writeFileAtomic(path, std::string_view("keep me")).ok());
  std::filesystem::path temp;
  {
    auto writer = AtomicFileWriter::open(path);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer.value().write(std::string_view("half a new fi")).ok());
    temp = writer.value().tempPath();
    EXPECT_TRUE(std::filesystem::exists(temp));
  }
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_EQ(readFileText(path).value(), "keep me");
}

// The crash case: a child process is SIGKILLed in the middle of an atomic write (after
// writing 4 MiB of the new contents). The old file must be intact.
TEST(File, WriteInterruptedByKilledChildLeavesOldFileIntact) {
  test::TempDir dir;
  auto path = dir / "scores.json";
  const std::string old = "{\"score\": 202}";
  ASSERT_TRUE(writeFileAtomic(path, std::string_view(old)).ok());

  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    auto writer = AtomicFileWriter::open(path);
    if (!writer.ok()) ::_exit(10);
    std::string chunk(1 << 20, 'X');
    for (int i = 0; i < 4; ++i) {
      if (!writer.value().write(std::string_view(chunk)).ok()) ::_exit(11);
    }
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) ::_exit(12);
    for (;;) ::pause();  // killed here, mid-write, before commit
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1) << "child failed before it was ready";
  ::close(ready[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  EXPECT_EQ(readFileText(path).value(), old);
  // A later atomic write still works (the dead child's temp file does not get in the way).
  ASSERT_TRUE(writeFileAtomic(path, std::string_view("{\"score\": 0}")).ok());
  EXPECT_EQ(readFileText(path).value(), "{\"score\": 0}");
}

TEST(File, DurableAppenderAppendsAndReopens) {
  test::TempDir dir;
  auto path = dir / "session.trec";
  {
    auto out = DurableAppender::open(path, /*truncate=*/true);
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(out.value().append(bytesOf("abc")).ok());
    ASSERT_TRUE(out.value().sync().ok());
    EXPECT_EQ(out.value().size(), 3u);
  }
  {
    auto out = DurableAppender::open(path, /*truncate=*/false);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out.value().size(), 3u);
    ASSERT_TRUE(out.value().append(bytesOf("def")).ok());
    ASSERT_TRUE(out.value().sync().ok());
  }
  EXPECT_EQ(readFileText(path).value(), "abcdef");
}

// Appended and synced data survives the writer being killed; nothing after the kill appears.
TEST(File, DurableAppendSurvivesKilledWriter) {
  test::TempDir dir;
  auto path = dir / "rec.bin";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    auto out = DurableAppender::open(path, true);
    if (!out.ok() || !out.value().append(bytesOf("chunk1;")).ok() || !out.value().sync().ok()) ::_exit(10);
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) ::_exit(12);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(readFileText(path).value(), "chunk1;");
}

TEST(File, ReadErrorsNameTheFileAndTheReason) {
  test::TempDir dir;
  auto missing = readFileBytes(dir / "nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().toString().find("nope.yaml"), std::string::npos);
  EXPECT_NE(missing.error().toString().find("No such file"), std::string::npos);
  auto directory = readFileBytes(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("directory"), std::string::npos);
}

TEST(File, AtomicWriteIntoMissingDirectoryFailsCleanly) {
  test::TempDir dir;
  auto r = writeFileAtomic(dir / "no-such-dir" / "x.json", std::string_view("{}"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().hint.find("directory"), std::string::npos);
}

TEST(File, DataDirectoriesFollowXdgAndOverrides) {
  ::setenv("TROCAR_DATA_DIR", "/tmp/trocar-data", 1);
  ::setenv("XDG_CACHE_HOME", "/tmp/xdg-cache", 1);
  ::unsetenv("TROCAR_CACHE_DIR");
  DataDirectories dirs = dataDirectories();
  EXPECT_EQ(dirs.data, "/tmp/trocar-data");
  EXPECT_EQ(dirs.recordings, "/tmp/trocar-data/recordings");
  EXPECT_EQ(dirs.cache, "/tmp/xdg-cache/trocar");
  ::unsetenv("TROCAR_DATA_DIR");
  ::unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace trocar
