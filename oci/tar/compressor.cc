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

// Whether a block is not worth deflating: its byte histogram is almost flat (as random or
// already-compressed data is) and level-1 deflate of two 4 KiB samples saves under 1%. Such blocks
// are stored, which costs a copy instead of a full match search (deflate runs at ~45 MB/s on
// random bytes at any level, and stores them anyway). Integer arithmetic only, so the decision and
// the output bytes are the same on every machine. Long-range repeats of random data that neither
// sample sees are stored uncompressed: a size cost only, never a correctness one.
bool LooksIncompressible(const std::string& in, z_stream* trial) {
  constexpr size_t kSample = 4096;
  const uint64_t n = in.size();
  if (n < 4 * kSample) return false;
  uint64_t hist[4][256] = {};
  const unsigned char* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    ++hist[0][p[i]];
    ++hist[1][p[i + 1]];
    ++hist[2][p[i + 2]];
    ++hist[3][p[i + 3]];
  }
  for (; i < n; ++i) ++hist[0][p[i]];
  uint64_t sum_sq = 0;
  for (int b = 0; b < 256; ++b) {
    uint64_t c = hist[0][b] + hist[1][b] + hist[2][b] + hist[3][b];
    sum_sq += c * c;
  }
  // 256 * sum(c^2) / n^2 is 1 for a perfectly flat histogram and ~1 + 256/n for random bytes;
  // anything Huffman coding could shrink by more than ~1% is well above 1 + 1/64.
  if (256 * sum_sq > n * n + n * n / 64) return false;
  unsigned char out[kSample + 256];
  for (size_t offset : {size_t{0}, static_cast<size_t>(n / 2)}) {
    if (deflateReset(trial) != Z_OK) return false;
    trial->next_in = const_cast<Bytef*>(p + offset);
    trial->avail_in = kSample;
    trial->next_out = out;
    trial->avail_out = sizeof(out);
    if (deflate(trial, Z_FINISH) != Z_STREAM_END) return false;
    if (sizeof(out) - trial->avail_out < kSample * 99 / 100) return false;
  }
  return true;
}

// A reusable raw-deflate stream (one per worker): deflateReset is much cheaper than deflateInit.
// Incompressible blocks go through a level-0 (stored) stream instead.
class Deflater {
 public:
  explicit Deflater(int level) {
    init_ = deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    if (init_ == Z_OK) init_ = deflateInit2(&stored_, 0, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    if (init_ == Z_OK) init_ = deflateInit2(&trial_, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  }
  ~Deflater() {
    // deflateEnd on a stream that was never initialised is a harmless Z_STREAM_ERROR.
    deflateEnd(&z_);
    deflateEnd(&stored_);
    deflateEnd(&trial_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  void Run(GzipJob& job) {
    job.crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(job.input.data()), job.input.size()));
    if (init_ != Z_OK) {
      job.status = absl::InternalError(absl::StrCat("deflateInit2 failed: ", init_));
      return;
    }
    const bool store = LooksIncompressible(job.input, &trial_);
    z_stream* z = store ? &stored_ : &z_;
    if (deflateReset(z) != Z_OK) {
      job.status = absl::InternalError("deflateReset failed");
      return;
    }
    if (!store && !job.dict.empty() &&
        deflateSetDictionary(z, reinterpret_cast<const Bytef*>(job.dict.data()),
                             job.dict.size()) != Z_OK) {
      job.status = absl::InternalError("deflateSetDictionary failed");
      return;
    }
    // deflateBound covers the data; a sync flush marker and the final block add a few bytes.
    job.output.resize(deflateBound(z, job.input.size()) + 64);
    z->next_in = reinterpret_cast<Bytef*>(job.input.data());
    z->avail_in = job.input.size();
    size_t produced = 0;
    const int flush = job.last ? Z_FINISH : Z_SYNC_FLUSH;
    while (true) {
      if (produced == job.output.size()) job.output.resize(job.output.size() * 2);
      z->next_out = reinterpret_cast<Bytef*>(&job.output[produced]);
      z->avail_out = job.output.size() - produced;
      int rc = deflate(z, flush);
      produced = job.output.size() - z->avail_out;
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        job.status = absl::InternalError(absl::StrCat("deflate failed: ", rc));
        return;
      }
      // A sync flush is complete once deflate leaves output space unused with no input left.
      if (!job.last && z->avail_in == 0 && z->avail_out > 0) break;
    }
    job.output.resize(produced);
  }

 private:
  z_stream z_{};
  z_stream stored_{};
  z_stream trial_{};
  int init_ = Z_STREAM_ERROR;
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
