// Runs the real fairtrace-server binary for integration tests: on a free
// port (--listen 127.0.0.1:0, port read from its first stdout line), with
// its own data folder, stderr captured to a file. Kill() sends SIGKILL (crash
// tests), Stop() SIGTERM and returns the exit code; Start() again reuses the
// same data folder. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fairtrace::testing {

class ServerProcess {
 public:
  // `data_dir` is kept between restarts; extra flags go to the server.
  explicit ServerProcess(std::filesystem::path data_dir, std::vector<std::string> flags = {});
  ~ServerProcess();

  // Starts the binary and waits (up to 20 s) until it prints its port.
  // Returns false (with the reason in error()) when it does not come up.
  bool Start();
  void Kill();
  // SIGTERM, then waits; returns the exit status (or -1).
  int Stop();
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }

  static std::string ServerBinary();
  static std::string CliBinary();

 private:
  std::filesystem::path data_dir_;
  std::vector<std::string> flags_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string error_;
};

// Runs a command, capturing stdout and stderr; returns the exit code.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

}  // namespace fairtrace::testing
