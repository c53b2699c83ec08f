// layer_bench_bin: the binary behind tools/bench/layer_bench (not a test).
//
//   layer_bench_bin generate DIR [FILES] [BYTES]   deterministic tree (default 5000 files, 200 MB)
//   layer_bench_bin write DIR gzip|zstd|none THREADS one WriteLayer run into a counting null sink; prints:
//                                                  seconds tar_bytes blob_bytes digest diff_id cpu_seconds
//   layer_bench_bin sha BYTES                      CPU seconds to SHA-256 BYTES bytes (one core)
//
// The tree: FILES files in 50 directories, sizes drawn log-uniformly (256 B .. 256 KiB) and scaled
// to BYTES in total, content from a fixed-seed PRNG so every machine gets the same bytes:
//  - 60% of the files are text-like: words from a 4,000-word generated vocabulary picked with a
//    skewed (Zipf-like) distribution, with spaces, punctuation and newlines (gzip -6 ratio ~2.5-3x);
//  - 20% are binary tables: 16-byte records with a counter, a few small random fields and padding
//    (compressible, ~2-4x);
//  - 20% are random bytes (already-compressed assets: incompressible).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "oci/byte_sink.h"
#include "oci/digest.h"
#include "oci/tar/layer_writer.h"

namespace {

struct Rng {
  uint64_t s;
  uint64_t Next() {  // splitmix64
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Unit() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
};

std::vector<std::string> Vocabulary() {
  Rng rng{42};
  std::vector<std::string> words;
  for (int i = 0; i < 4000; ++i) {
    int len = 2 + static_cast<int>(rng.Next() % 9);
    std::string w;
    for (int j = 0; j < len; ++j) w.push_back(static_cast<char>('a' + rng.Next() % 26));
    words.push_back(std::move(w));
  }
  return words;
}

std::string Content(int index, size_t size, const std::vector<std::string>& vocab) {
  Rng rng{0x5eed0000ull + static_cast<uint64_t>(index)};
  std::string out;
  out.reserve(size + 32);
  const int kind = index % 10;  // 0-5 text, 6-7 table, 8-9 random
  if (kind <= 5) {
    static const char* kPunct[] = {" ", " ", " ", " ", " ", ", ", ". ", "\n", "(", ") ", "=", "; "};
    while (out.size() < size) {
      double r = rng.Unit();
      out += vocab[static_cast<size_t>(vocab.size() * r * r * r)];
      out += kPunct[rng.Next() % 12];
    }
  } else if (kind <= 7) {
    uint32_t counter = static_cast<uint32_t>(index) * 1000;
    while (out.size() < size) {
      char rec[16] = {0};
      uint32_t c = counter++;
      memcpy(rec, &c, 4);
      rec[4] = static_cast<char>(rng.Next() % 4);
      rec[5] = static_cast<char>(rng.Next() % 16);
      uint16_t v = static_cast<uint16_t>(rng.Next() % 1000);
      memcpy(rec + 6, &v, 2);
      out.append(rec, 16);
    }
  } else {
    while (out.size() < size) {
      uint64_t v = rng.Next();
      out.append(reinterpret_cast<const char*>(&v), 8);
    }
  }
  out.resize(size);
  return out;
}

int Generate(const std::string& dir, int files, int64_t total) {
  Rng rng{7};
  std::vector<double> weights(files);
  double sum = 0;
  for (int i = 0; i < files; ++i) {
    weights[i] = std::exp(std::log(256.0) + rng.Unit() * (std::log(262144.0) - std::log(256.0)));
    sum += weights[i];
  }
  const std::vector<std::string> vocab = Vocabulary();
  mkdir(dir.c_str(), 0755);
  int64_t written = 0;
  for (int i = 0; i < files; ++i) {
    std::string sub = absl::StrCat(dir, "/d", i % 50);
    mkdir(sub.c_str(), 0755);
    size_t size = i + 1 == files ? static_cast<size_t>(total - written)
                                 : static_cast<size_t>(weights[i] / sum * total);
    std::string data = Content(i, size, vocab);
    std::string path = absl::StrCat(sub, "/f", i, i % 10 <= 5 ? ".txt" : ".bin");
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      perror(path.c_str());
      return 1;
    }
    close(fd);
    written += size;
  }
  printf("generated %d files, %lld bytes in %s\n", files, static_cast<long long>(written), dir.c_str());
  return 0;
}

class NullSink : public oci::ByteSink {
 public:
  absl::Status Write(absl::string_view data) override {
    bytes += data.size();
    return absl::OkStatus();
  }
  int64_t bytes = 0;
};

int Write(const std::string& dir, const std::string& compression, int threads) {
  auto start = std::chrono::steady_clock::now();
  auto entries = oci::EntriesFromDirectory(dir);
  if (!entries.ok()) {
    fprintf(stderr, "%s\n", entries.status().ToString().c_str());
    return 1;
  }
  oci::LayerWriterOptions options;
  options.compression = compression == "zstd"   ? oci::Compression::kZstd
                        : compression == "none" ? oci::Compression::kNone
                                                : oci::Compression::kGzip;
  options.threads = threads;
  NullSink sink;
  auto result = oci::WriteLayer(std::move(*entries), options, sink);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) {
    fprintf(stderr, "%s\n", result.status().ToString().c_str());
    return 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
  printf("%.4f %lld %lld %s %s %.3f\n", secs, static_cast<long long>(result->uncompressed_size),
         static_cast<long long>(result->descriptor.size), result->descriptor.digest.str().c_str(),
         result->diff_id.str().c_str(), cpu);
  return 0;
}

int Sha(int64_t bytes) {
  // CPU time, not wall time: on a busy machine the wall clock would mostly measure the others.
  auto cpu = [] {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
  };
  std::string buf(1 << 20, 'x');
  oci::Sha256 h;
  const double start = cpu();
  for (int64_t done = 0; done < bytes; done += buf.size()) h.Update(buf);
  h.Finish();
  printf("%.4f\n", cpu() - start);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "generate") {
    int files = 5000;
    int64_t bytes = 200000000;
    if (args.size() >= 3 && !absl::SimpleAtoi(args[2], &files)) return 2;
    if (args.size() >= 4 && !absl::SimpleAtoi(args[3], &bytes)) return 2;
    return Generate(args[1], files, bytes);
  }
  if (args.size() == 4 && args[0] == "write") {
    int threads = 0;
    if (!absl::SimpleAtoi(args[3], &threads)) return 2;
    return Write(args[1], args[2], threads);
  }
  if (args.size() == 2 && args[0] == "sha") {
    int64_t bytes = 0;
    if (!absl::SimpleAtoi(args[1], &bytes)) return 2;
    return Sha(bytes);
  }
  fprintf(stderr,
          "usage: layer_bench_bin generate DIR [FILES] [BYTES] | write DIR gzip|zstd|none THREADS | "
          "sha BYTES\n");
  return 2;
}
