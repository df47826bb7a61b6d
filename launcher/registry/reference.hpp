// Image references as Docker writes them: [host[:port]/]repo[:tag][@sha256:HEX], with
// docker.io's short names (`debian` = docker.io/library/debian:latest) and `docker://` accepted.
#pragma once

#include <string>
#include <string_view>

namespace cinit::launcher {

struct Reference {
  std::string domain;     // as written, docker.io for short names ("127.0.0.1:5000")
  std::string repository; // "library/debian"
  std::string tag;        // "latest" when neither a tag nor a digest is given
  std::string digest;     // "sha256:<64 hex>" or empty

  // The canonical name, which is also the store's name for a pulled image:
  // "docker.io/library/debian:latest", "host:5000/a/b@sha256:...".
  std::string name() const;
  // Where the registry API answers: registry-1.docker.io for docker.io, else the domain's
  // host, and its port (443 unless the domain names one).
  std::string api_host() const;
  int api_port() const;
  // What a manifest request names: the digest when pinned, else the tag.
  std::string manifest_ref() const { return digest.empty() ? tag : digest; }
};

// Throws SysError ("invalid image reference 'REF': why") on anything Docker would refuse.
Reference parse_reference(std::string_view ref);

} // namespace cinit::launcher
