#include "oci/tar/compressor.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace oci {
namespace {

constexpr size_t kDictSize = 32 * 1024;

int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

class PassThrough : public Compressor {
 public:
  explicit PassThrough(Output output) : output_(std::move(output)) {}
  absl::Status Write(absl::string_view data) override { return output_(data); }
  absl::Status Finish() override { return absl::OkStatus(); }

 private:
  Output output_;
};

// One gzip block: input and dictionary in, raw deflate bytes and the block's CRC-32 out.
struct GzipJob {
  std::string input;
  std::string dict;
  bool last = false;
  std::string output;
  uint32_t crc = 0;
  absl::Status status;
  bool done = false;
};

// Blocks are deflated in segments of this size, each one either searched for matches (the
// configured level) or stored (level 0), switching with deflateParams between runs of segments.
constexpr size_t kSegmentSize = 4096;

// Whether a segment is not worth searching: its byte histogram is almost flat (as random or
// already-compressed data is: order-0 coding cannot gain more than ~2%) and it holds almost no
// repeated 3-byte strings (what deflate's matches need). Deflate runs at ~45 MB/s on random bytes
// at any level and stores them anyway; this test runs at ~1 GB/s. Integer arithmetic only, so the
// decision (and so the output) is the same on every machine. Repeats of random data further back
// than the segment are not seen and are stored: a size cost only, never a correctness one. Tar
// headers and padding (runs of zeros) make a segment's histogram steep, so they stay compressed.
bool SegmentLooksIncompressible(const unsigned char* p, size_t n) {
  if (n < kSegmentSize) return false;
  uint32_t hist[256] = {};
  for (size_t i = 0; i < n; ++i) ++hist[p[i]];
  uint64_t sum_sq = 0;
  for (uint32_t c : hist) sum_sq += uint64_t{c} * c;
  // 256 * sum(c^2) / n^2 is 1 for a flat histogram and 1 + 256/n (+-0.006) for random bytes.
  const uint64_t nn = uint64_t{n} * n;
  if (256 * sum_sq > nn + nn / 8) return false;
  // Random bytes repeat a 3-byte string about once per 4 KiB segment.
  uint32_t seen[4096] = {};
  int repeats = 0;
  for (size_t i = 0; i + 3 <= n; ++i) {
    uint32_t v = p[i] | (uint32_t{p[i + 1]} << 8) | (uint32_t{p[i + 2]} << 16);
    uint32_t h = (v * 2654435761u) >> 20;
    if (seen[h] == v + 1) {
      if (++repeats > 32) return false;
    } else {
      seen[h] = v + 1;
    }
  }
  return true;
}

// A reusable raw-deflate stream (one per worker): deflateReset is much cheaper than deflateInit.
class Deflater {
 public:
  explicit Deflater(int level) : level_(level) {
    init_ = deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  }
  ~Deflater() {
    if (init_ == Z_OK) deflateEnd(&z_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  void Run(GzipJob& job) {
    job.crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(job.input.data()), job.input.size()));
    job.status = RunDeflate(job);
  }

 private:
  absl::Status RunDeflate(GzipJob& job) {
    if (init_ != Z_OK) return absl::InternalError(absl::StrCat("deflateInit2 failed: ", init_));
    // deflateReset keeps the level the last job ended with; start every job at level_.
    if (deflateReset(&z_) != Z_OK || deflateParams(&z_, level_, Z_DEFAULT_STRATEGY) != Z_OK) {
      return absl::InternalError("deflateReset failed");
    }
    if (!job.dict.empty() &&
        deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(job.dict.data()),
                             job.dict.size()) != Z_OK) {
      return absl::InternalError("deflateSetDictionary failed");
    }
    // deflateBound covers the data; sync flush markers, level switches and the final block add a
    // few bytes each (the buffer grows if ever needed).
    job.output.resize(deflateBound(&z_, job.input.size()) + 1024);
    produced_ = 0;
    z_.next_out = reinterpret_cast<Bytef*>(&job.output[0]);
    z_.avail_out = job.output.size();
    const unsigned char* data = reinterpret_cast<const unsigned char*>(job.input.data());
    const size_t n = job.input.size();
    int current = level_;
    for (size_t pos = 0; pos < n; pos += kSegmentSize) {
      const size_t len = std::min(kSegmentSize, n - pos);
      const int want = SegmentLooksIncompressible(data + pos, len) ? 0 : level_;
      if (want != current) {
        // deflateParams flushes what was fed so far with the old level (a Z_BLOCK flush).
        int rc = Z_BUF_ERROR;
        for (int tries = 0; tries < 16 && rc == Z_BUF_ERROR; ++tries) {
          rc = deflateParams(&z_, want, Z_DEFAULT_STRATEGY);
          Grow(job);
        }
        if (rc != Z_OK) return absl::InternalError(absl::StrCat("deflateParams failed: ", rc));
        current = want;
      }
      RETURN_IF_ERROR(Feed(job, data + pos, len, Z_NO_FLUSH));
    }
    RETURN_IF_ERROR(Feed(job, nullptr, 0, job.last ? Z_FINISH : Z_SYNC_FLUSH));
    job.output.resize(produced_);
    return absl::OkStatus();
  }

  // Re-points the stream's output at the free part of job.output, doubling it when under 64 KiB
  // are free.
  void Grow(GzipJob& job) {
    produced_ = job.output.size() - z_.avail_out;
    if (job.output.size() - produced_ < (64 << 10)) job.output.resize(job.output.size() * 2);
    z_.next_out = reinterpret_cast<Bytef*>(&job.output[produced_]);
    z_.avail_out = job.output.size() - produced_;
  }

  absl::Status Feed(GzipJob& job, const unsigned char* in, size_t len, int flush) {
    z_.next_in = const_cast<Bytef*>(in);
    z_.avail_in = len;
    while (true) {
      if (job.output.size() - produced_ < 256) job.output.resize(job.output.size() * 2);
      z_.next_out = reinterpret_cast<Bytef*>(&job.output[produced_]);
      z_.avail_out = job.output.size() - produced_;
      int rc = deflate(&z_, flush);
      produced_ = job.output.size() - z_.avail_out;
      if (rc == Z_STREAM_END) return absl::OkStatus();
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return absl::InternalError(absl::StrCat("deflate failed: ", rc));
      }
      // Done once deflate leaves output space unused with no input left (for a sync flush, that
      // means the marker is out too).
      if (flush != Z_FINISH && z_.avail_in == 0 && z_.avail_out > 0) return absl::OkStatus();
    }
  }

  const int level_;
  z_stream z_{};
  int init_ = Z_STREAM_ERROR;
  size_t produced_ = 0;
};

// pigz-style parallel gzip: fixed blocks, each primed with the previous block's tail, compressed by
// a pool and emitted in order. With threads == 1 the blocks are compressed inline, with the same
// result.
class ParallelGzip : public Compressor {
 public:
  ParallelGzip(int level, int threads, Output output)
      : level_(level), threads_(threads), output_(std::move(output)), inline_deflater_(level) {
    // Enough blocks in flight (about 1 MiB per worker) that a worker or the feeding thread being
    // descheduled for a while does not stall the others; still a fixed bound on memory.
    max_in_flight_ = static_cast<size_t>(threads_) * 8 + 2;
    if (threads_ > 1) {
      for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
    }
    pending_.reserve(kGzipBlockSize);
  }

  ~ParallelGzip() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  absl::Status Write(absl::string_view data) override {
    if (!started_) {
      RETURN_IF_ERROR(EmitHeader());
      started_ = true;
    }
    while (!data.empty()) {
      size_t take = std::min(data.size(), kGzipBlockSize - pending_.size());
      pending_.append(data.data(), take);
      data.remove_prefix(take);
      if (pending_.size() == kGzipBlockSize) RETURN_IF_ERROR(Submit(/*last=*/false));
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    if (!started_) {
      RETURN_IF_ERROR(EmitHeader());
      started_ = true;
    }
    RETURN_IF_ERROR(Submit(/*last=*/true));
    while (!in_flight_.empty()) RETURN_IF_ERROR(EmitOldest());
    unsigned char trailer[8];
    for (int i = 0; i < 4; ++i) trailer[i] = static_cast<unsigned char>(crc_ >> (8 * i));
    for (int i = 0; i < 4; ++i) trailer[4 + i] = static_cast<unsigned char>(total_in_ >> (8 * i));
    return output_(absl::string_view(reinterpret_cast<const char*>(trailer), sizeof(trailer)));
  }

 private:
  absl::Status EmitHeader() {
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=255 (unknown): nothing depends on the host.
    const unsigned char xfl = level_ >= 9 ? 2 : (level_ <= 1 ? 4 : 0);
    const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255};
    return output_(absl::string_view(reinterpret_cast<const char*>(header), sizeof(header)));
  }

  absl::Status Submit(bool last) {
    auto job = std::make_shared<GzipJob>();
    job->input = std::move(pending_);
    job->dict = dict_;
    job->last = last;
    total_in_ += job->input.size();
    // The next block's dictionary: the last 32 KiB of the uncompressed stream so far.
    if (job->input.size() >= kDictSize) {
      dict_.assign(job->input, job->input.size() - kDictSize, kDictSize);
    } else {
      dict_.append(job->input);
      if (dict_.size() > kDictSize) dict_.erase(0, dict_.size() - kDictSize);
    }
    pending_ = std::string();
    pending_.reserve(kGzipBlockSize);
    if (threads_ <= 1) {
      inline_deflater_.Run(*job);
      job->done = true;
      in_flight_.push_back(std::move(job));
    } else {
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(job);
      }
      queue_cv_.notify_one();
      in_flight_.push_back(std::move(job));
    }
    while (in_flight_.size() >= max_in_flight_) RETURN_IF_ERROR(EmitOldest());
    return absl::OkStatus();
  }

  absl::Status EmitOldest() {
    std::shared_ptr<GzipJob> job = std::move(in_flight_.front());
    in_flight_.pop_front();
    if (threads_ > 1) {
      std::unique_lock<std::mutex> lock(mu_);
      done_cv_.wait(lock, [&] { return job->done; });
    }
    RETURN_IF_ERROR_CTX(job->status, "gzip: compressing a block");
    crc_ = static_cast<uint32_t>(crc32_combine(crc_, job->crc, job->input.size()));
    return output_(job->output);
  }

  void WorkerLoop() {
    Deflater deflater(level_);
    while (true) {
      std::shared_ptr<GzipJob> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      deflater.Run(*job);
      {
        std::lock_guard<std::mutex> lock(mu_);
        job->done = true;
      }
      done_cv_.notify_all();
    }
  }

  const int level_;
  const int threads_;
  Output output_;
  Deflater inline_deflater_;
  size_t max_in_flight_;
  bool started_ = false;
  std::string pending_;
  std::string dict_;
  uint32_t crc_ = 0;
  uint64_t total_in_ = 0;
  std::deque<std::shared_ptr<GzipJob>> in_flight_;  // in stream order

  std::mutex mu_;
  std::condition_variable queue_cv_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<GzipJob>> queue_;  // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  std::vector<std::thread> workers_;
};

class ZstdCompressor : public Compressor {
 public:
  explicit ZstdCompressor(Output output) : output_(std::move(output)), out_(ZSTD_CStreamOutSize(), '\0') {}
  ~ZstdCompressor() override { ZSTD_freeCCtx(cctx_); }

  absl::Status Init(int level, int threads) {
    cctx_ = ZSTD_createCCtx();
    if (cctx_ == nullptr) return absl::ResourceExhaustedError("zstd: cannot create a context");
    // nbWorkers >= 1 always: zstd's multithreaded output is identical for every worker count >= 1
    // but differs from the single-threaded (0) format, so 0 is never used.
    RETURN_IF_ERROR(Set(ZSTD_c_compressionLevel, level, "compressionLevel"));
    RETURN_IF_ERROR(Set(ZSTD_c_checksumFlag, 1, "checksumFlag"));
    RETURN_IF_ERROR(Set(ZSTD_c_contentSizeFlag, 0, "contentSizeFlag"));
    RETURN_IF_ERROR(Set(ZSTD_c_nbWorkers, std::max(1, threads), "nbWorkers"));
    return absl::OkStatus();
  }

  absl::Status Write(absl::string_view data) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (in.pos < in.size) RETURN_IF_ERROR(Step(in, ZSTD_e_continue));
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (true) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, ZSTD_e_end);
      if (ZSTD_isError(remaining)) {
        return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(remaining)));
      }
      if (out.pos > 0) RETURN_IF_ERROR(output_(absl::string_view(out_.data(), out.pos)));
      if (remaining == 0) return absl::OkStatus();
    }
  }

 private:
  absl::Status Set(ZSTD_cParameter p, int value, const char* name) {
    size_t rc = ZSTD_CCtx_setParameter(cctx_, p, value);
    if (ZSTD_isError(rc)) {
      return absl::InvalidArgumentError(
          absl::StrCat("zstd: setting ", name, "=", value, ": ", ZSTD_getErrorName(rc)));
    }
    return absl::OkStatus();
  }

  absl::Status Step(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t rc = ZSTD_compressStream2(cctx_, &out, &in, mode);
    if (ZSTD_isError(rc)) return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(rc)));
    if (out.pos > 0) RETURN_IF_ERROR(output_(absl::string_view(out_.data(), out.pos)));
    return absl::OkStatus();
  }

  Output output_;
  std::string out_;
  ZSTD_CCtx* cctx_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Compressor>> NewCompressor(Compression compression, int level,
                                                          int threads, Compressor::Output output) {
  threads = ResolveThreads(threads);
  switch (compression) {
    case Compression::kNone:
      return std::unique_ptr<Compressor>(new PassThrough(std::move(output)));
    case Compression::kGzip:
      if (level == -1) level = kDefaultGzipLevel;
      if (level < 1 || level > 9) {
        return absl::InvalidArgumentError(absl::StrCat("gzip level ", level, " is not in 1-9"));
      }
      return std::unique_ptr<Compressor>(new ParallelGzip(level, threads, std::move(output)));
    case Compression::kZstd: {
      if (level == -1) level = kDefaultZstdLevel;
      if (level < 1 || level > 19) {
        return absl::InvalidArgumentError(absl::StrCat("zstd level ", level, " is not in 1-19"));
      }
      auto z = std::make_unique<ZstdCompressor>(std::move(output));
      RETURN_IF_ERROR(z->Init(level, threads));
      return std::unique_ptr<Compressor>(std::move(z));
    }
  }
  return absl::InvalidArgumentError("unknown compression");
}

}  // namespace oci
