// Replays fuzz corpora as an ordinary test (g++ builds, no libFuzzer): every file under the
// given files/directories is fed to LLVMFuzzerTestOneInput, then `--mutations N` deterministic
// mutants of each (byte flips, truncations, insertions) so CI exercises more than the seeds.
// A crash or sanitizer report fails the test; the exit code is 0 otherwise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// xorshift64*: deterministic so a failure reproduces from the printed seed.
uint64_t Next(uint64_t& s) {
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 2685821657736338717ULL;
}

void Mutate(std::vector<uint8_t>& d, uint64_t& rng) {
  switch (Next(rng) % 4) {
    case 0:
      if (!d.empty()) d[Next(rng) % d.size()] ^= static_cast<uint8_t>(1u << (Next(rng) % 8));
      break;
    case 1:
      if (!d.empty()) d.resize(Next(rng) % d.size());
      break;
    case 2:
      d.insert(d.begin() + static_cast<long>(d.empty() ? 0 : Next(rng) % d.size()),
               static_cast<uint8_t>(Next(rng)));
      break;
    case 3:
      if (d.size() >= 4) {  // Overwrite a 32-bit field with an extreme value.
        size_t at = Next(rng) % (d.size() - 3);
        uint32_t v = (Next(rng) & 1) ? 0xffffffffu : static_cast<uint32_t>(Next(rng) % 65536);
        std::memcpy(d.data() + at, &v, 4);
      }
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t mutations = 0;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mutations" && i + 1 < argc) {
      mutations = std::strtoul(argv[++i], nullptr, 10);
      continue;
    }
    std::filesystem::path p(a);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file() && e.file_size() <= (1u << 20)) files.push_back(e.path());
      }
    } else if (std::filesystem::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::printf("skipping missing input %s\n", a.c_str());
    }
  }
  size_t runs = 0;
  for (const auto& f : files) {
    std::vector<uint8_t> seed = ReadAll(f);
    LLVMFuzzerTestOneInput(seed.data(), seed.size());
    ++runs;
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ std::hash<std::string>{}(f.filename().string());
    for (size_t m = 0; m < mutations; ++m) {
      std::vector<uint8_t> d = seed;
      for (uint64_t k = 1 + Next(rng) % 3; k > 0; --k) Mutate(d, rng);
      LLVMFuzzerTestOneInput(d.data(), d.size());
      ++runs;
    }
  }
  std::printf("replayed %zu inputs from %zu files\n", runs, files.size());
  return files.empty() ? 1 : 0;
}
