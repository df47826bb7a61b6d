// The launcher's one error type: what failed, on which path, with which errno. Thrown by the
// launcher's modules, caught only in main(), printed as one line, exit 125 (as docker/podman).
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>

namespace cinit::launcher {

class SysError : public std::runtime_error {
public:
  // "unable to mount 'PATH': strerror(err)" (err 0: no strerror part).
  SysError(const std::string& what, const std::string& path = {}, int err = 0)
      : std::runtime_error(format(what, path, err)), path_(path), err_(err) {}
  const std::string& path() const { return path_; }
  int err() const { return err_; }

private:
  static std::string format(const std::string& what, const std::string& path, int err) {
    std::string s = what;
    if (!path.empty())
      s += " '" + path + "'";
    if (err != 0)
      s += std::string(": ") + std::strerror(err);
    return s;
  }
  std::string path_;
  int err_ = 0;
};

} // namespace cinit::launcher
