// Fuzzes the image store's names and records: the default name `import` derives from a path,
// image names as files under images/, and images/*.json read back. Input: NAME, SOURCE (both
// FuzzedDataProvider strings), then a record's text. A derived name is always a valid one; a
// valid name saves to one file in images/ and loads back as saved; a damaged record is a
// SysError naming its file, never another exception.
#include "common/syscall.hpp"
#include "launcher/error.hpp"
#include "launcher/image/import.hpp"
#include "launcher/image/store.hpp"
#include "launcher/image/unpack.hpp"
#include "tests/fuzz/check.hpp"

#include <cstdlib>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <string_view>

using cinit::fuzz::check;

namespace {

const cinit::launcher::Store& store() {
  static const cinit::launcher::Store s = [] {
    // libFuzzer ends a timed run with _Exit, skipping atexit: run.sh points TMPDIR at a
    // directory it removes itself.
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/store_fuzz.XXXXXX";
    check(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    return cinit::launcher::Store(tmpl + "/root");
  }();
  return s;
}

void clear_images(const std::string& dir) {
  if (const auto names = cinit::list_dir(dir))
    for (const std::string& n : *names)
      cinit::launcher::remove_tree(dir + "/" + n);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cinit::launcher;
  FuzzedDataProvider in(data, size);
  const std::string name = in.ConsumeRandomLengthString(256);
  const std::string source = in.ConsumeRandomLengthString(256);
  const std::string record = in.ConsumeRemainingBytesAsString();

  check(valid_image_name(default_image_name(source)), "a derived name is a valid name");

  const Store& s = store();
  const std::string images = s.root() + "/images";
  clear_images(images);
  if (valid_image_name(name)) {
    Image img;
    img.name = name;
    img.layers = {std::string(64, 'a')};
    img.config.cmd = {"sh", "-c", name}; // configs hold JSON's strings: valid UTF-8
    s.save_image(img);
    const auto files = cinit::list_dir(images);
    check(files && files->size() == 1, "an image is one file in images/");
    const auto back = s.load_image(name);
    check(back && back->name == name && back->layers == img.layers &&
              back->config.cmd == img.config.cmd,
          "an image loads back as saved");
    clear_images(images);
  }

  // A damaged or hand-edited record.
  const std::string path = images + "/x.json";
  check(cinit::write_file_atomic(path, record, 0600), "write the record");
  try {
    (void)s.list_images();
    (void)s.load_image("x");
  } catch (const SysError& e) {
    check(std::string_view(e.what()).find(path) != std::string_view::npos,
          "errors name the record");
  }
  return 0;
}
