#include "tsdb/sample_log.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "tsdb/log_format.hpp"

namespace mh::tsdb {
namespace {

namespace fs = std::filesystem;
namespace lf = log_format;

// Reads go through a buffer of this size (grown only for a larger record): big enough that syscalls are
// noise next to decoding, small enough to stay cache-friendly and to keep Replay's memory flat.
constexpr std::size_t kReadChunkBytes = 1 << 20;

// Append keeps its encode buffer between calls; after a rare huge append, one bigger than this is freed so
// that a burst does not pin up to a record cap's worth of memory for the life of the process.
constexpr std::size_t kRetainedWriteBufferBytes = 8 << 20;

// ---- Errors and file descriptors ----

Error IoError(std::string_view what, const fs::path& path, int err) {
    return MakeError(Errc::kUnavailable,
                     fmt::format("sample log: {} {}: {}", what, path.string(), std::generic_category().message(err)));
}

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            Reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { Reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    void Reset() {
        if (fd_ >= 0) {
            // Nothing useful to do with a close() error here: durability comes from fdatasync, not close.
            ::close(fd_);
            fd_ = -1;
        }
    }

  private:
    int fd_ = -1;
};

// Writes all of `data` at `offset`, resuming after partial writes and signals. pwrite rather than write
// because after a rollback (ftruncate) the file position would otherwise point past the end and leave a hole.
Status WriteAll(LogEnv& env, int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset,
                const fs::path& path) {
    while (size > 0) {
        const ssize_t written = env.PWrite(fd, data, size, static_cast<off_t>(offset));
        if (written < 0) {
            if (errno == EINTR) continue;
            return IoError("cannot write", path, errno);
        }
        if (written == 0) return IoError("cannot write", path, ENOSPC);  // would loop forever otherwise
        data += written;
        size -= static_cast<std::size_t>(written);
        offset += static_cast<std::uint64_t>(written);
    }
    return Ok();
}

Result<std::uint64_t> FileSize(LogEnv& env, int fd, const fs::path& path) {
    struct stat st {};
    if (env.FStat(fd, &st) != 0) return IoError("cannot stat", path, errno);
    return static_cast<std::uint64_t>(st.st_size);
}

// ---- Byte encoding ----

// Byte by byte so the format is little-endian on any host; GCC turns these loops into single loads/stores.
void StoreU32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void StoreU64(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t LoadU32(const std::uint8_t* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
    return v;
}
std::uint64_t LoadU64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

std::uint8_t* PutVarint(std::uint8_t* p, std::uint64_t v) {
    while (v >= 0x80) {
        *p++ = static_cast<std::uint8_t>(v | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(v);
    return p;
}

// Returns the byte after the varint, or nullptr if it is truncated or does not fit 64 bits. kChecked = false
// is the hot path, for callers that know at least kMaxVarintBytes bytes are left.
template <bool kChecked>
const std::uint8_t* GetVarint(const std::uint8_t* p, const std::uint8_t* end, std::uint64_t& out) {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 63; shift += 7) {
        if (kChecked && p == end) return nullptr;
        const std::uint64_t byte = *p++;
        result |= (byte & 0x7f) << shift;
        if (byte < 0x80) {
            out = result;
            return p;
        }
    }
    // Tenth byte: only bit 63 is left, anything more is an overflow (garbage, not a writer of ours).
    if (kChecked && p == end) return nullptr;
    const std::uint64_t byte = *p++;
    if (byte > 1) return nullptr;
    out = result | (byte << 63);
    return p;
}

// Zigzag over unsigned arithmetic: deltas of extreme timestamps wrap modulo 2^64 instead of overflowing.
std::uint64_t ZigZag(std::uint64_t delta) {
    return (delta << 1) ^ (0 - (delta >> 63));
}
std::uint64_t UnZigZag(std::uint64_t zz) {
    return (zz >> 1) ^ (0 - (zz & 1));
}

std::uint32_t RecordCrc(const std::uint8_t* length_bytes, const std::uint8_t* payload, std::uint32_t length) {
    // The length is covered too: a flipped length bit is caught even when the new length still fits the file.
    uLong crc = ::crc32(0L, nullptr, 0);
    crc = ::crc32(crc, length_bytes, 4);
    crc = ::crc32(crc, payload, length);
    return static_cast<std::uint32_t>(crc);
}

constexpr std::size_t MaxRecordBytes(std::size_t samples) {
    return lf::kRecordHeaderSize + lf::kMaxVarintBytes + samples * lf::kMaxSampleBytes;
}

// Encodes one record at `out`, which must have MaxRecordBytes(samples.size()) bytes; returns its size.
std::size_t EncodeRecord(std::span<const SeriesSample> samples, std::uint8_t* out) {
    std::uint8_t* const payload = out + lf::kRecordHeaderSize;
    std::uint8_t* p = PutVarint(payload, samples.size());
    std::uint64_t prev_ts = 0;
    for (const SeriesSample& sample : samples) {
        p = PutVarint(p, static_cast<std::uint64_t>(sample.series.value()));
        const auto ts = static_cast<std::uint64_t>(sample.ts_ms);
        p = PutVarint(p, ZigZag(ts - prev_ts));
        prev_ts = ts;
        StoreU64(p, std::bit_cast<std::uint64_t>(sample.value));
        p += 8;
    }
    const auto length = static_cast<std::uint32_t>(p - payload);
    StoreU32(out, length);
    StoreU32(out + 4, RecordCrc(out, payload, length));
    return lf::kRecordHeaderSize + length;
}

template <bool kChecked>
const std::uint8_t* DecodeSample(const std::uint8_t* p, const std::uint8_t* end, std::uint64_t& prev_ts,
                                 SeriesSample& sample) {
    std::uint64_t series = 0;
    std::uint64_t zz = 0;
    // nullptr checks on both paths: an overlong varint is possible however many bytes are left.
    p = GetVarint<kChecked>(p, end, series);
    if (p == nullptr) return nullptr;
    p = GetVarint<kChecked>(p, end, zz);
    if (p == nullptr || (kChecked && end - p < 8)) return nullptr;
    prev_ts += UnZigZag(zz);
    sample.series = SeriesId{static_cast<std::int64_t>(series)};
    sample.ts_ms = static_cast<std::int64_t>(prev_ts);
    sample.value = std::bit_cast<double>(LoadU64(p));
    return p + 8;
}

// Decodes a checksummed payload into samples[0, count). False if it is not a well-formed payload: with a valid
// CRC that means a foreign or buggy writer, and it is treated like corruption.
bool DecodePayload(const std::uint8_t* p, const std::uint8_t* end, std::vector<SeriesSample>& samples,
                   std::size_t& count) {
    std::uint64_t n = 0;
    p = GetVarint<true>(p, end, n);
    // Bound the count by the bytes present before resizing, so a bogus count cannot allocate.
    if (p == nullptr || n == 0 || n > lf::kMaxSamplesPerRecord ||
        n > static_cast<std::uint64_t>(end - p) / lf::kMinSampleBytes) {
        return false;
    }
    if (samples.size() < n) samples.resize(n);
    std::uint64_t prev_ts = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (static_cast<std::size_t>(end - p) >= lf::kMaxSampleBytes) {
            p = DecodeSample<false>(p, end, prev_ts, samples[i]);
        } else {
            p = DecodeSample<true>(p, end, prev_ts, samples[i]);
        }
        if (p == nullptr) return false;
    }
    if (p != end) return false;
    count = static_cast<std::size_t>(n);
    return true;
}

// ---- Segment files ----

struct SegmentFile {
    std::uint64_t number = 0;
    fs::path path;
};

std::string SegmentName(std::uint64_t number) {
    return fmt::format("{:012d}{}", number, lf::kSegmentSuffix);
}

std::optional<std::uint64_t> ParseSegmentName(std::string_view name) {
    if (name.size() != lf::kSegmentDigits + lf::kSegmentSuffix.size() || !name.ends_with(lf::kSegmentSuffix)) {
        return std::nullopt;
    }
    std::uint64_t number = 0;
    for (std::size_t i = 0; i < lf::kSegmentDigits; ++i) {
        const char ch = name[i];
        if (ch < '0' || ch > '9') return std::nullopt;
        number = number * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    return number;
}

// The directory's segments in number order; a missing directory has none. Other names are ignored.
Result<std::vector<SegmentFile>> ListSegments(const fs::path& dir) {
    std::vector<SegmentFile> segments;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) return segments;
        return MakeError(Errc::kUnavailable, fmt::format("sample log: cannot list {}: {}", dir.string(), ec.message()));
    }
    // increment(ec) rather than range-for, which would throw filesystem_error on a failing readdir.
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        const std::optional<std::uint64_t> number = ParseSegmentName(entry.path().filename().native());
        if (!number) continue;
        std::error_code type_ec;
        if (!entry.is_regular_file(type_ec)) continue;
        segments.push_back(SegmentFile{*number, entry.path()});
    }
    if (ec) {
        return MakeError(Errc::kUnavailable, fmt::format("sample log: cannot list {}: {}", dir.string(), ec.message()));
    }
    std::sort(segments.begin(), segments.end(),
              [](const SegmentFile& a, const SegmentFile& b) { return a.number < b.number; });
    return segments;
}

// Reads a segment front to back through one buffer, records decoded where they lie in it. The buffer grows
// only to the largest record, so memory is bounded by the record cap, not by the file size. pread rather
// than mmap: a file truncated under a read-only reader (Open cutting a torn tail) must not be a SIGBUS.
class SegmentReader {
  public:
    SegmentReader(LogEnv& env, int fd, std::uint64_t file_size, std::vector<std::uint8_t>& buffer, const fs::path& path)
        : env_(env), fd_(fd), file_size_(file_size), buffer_(buffer), path_(path) {
        const auto initial = static_cast<std::size_t>(std::min<std::uint64_t>(file_size, kReadChunkBytes));
        if (buffer_.size() < initial) buffer_.resize(initial);
    }

    // File offset of the next unconsumed byte.
    std::uint64_t offset() const { return read_pos_ - (end_ - begin_); }
    std::uint64_t remaining() const { return file_size_ - offset(); }
    const std::uint8_t* data() const { return buffer_.data() + begin_; }
    void Consume(std::size_t n) { begin_ += n; }

    // Makes `n` <= remaining() bytes available at data(). False if the file turned out shorter than its size
    // said (truncated meanwhile).
    Result<bool> Fill(std::size_t n) {
        if (end_ - begin_ >= n) return true;
        const std::size_t have = end_ - begin_;
        if (begin_ > 0) {
            std::memmove(buffer_.data(), buffer_.data() + begin_, have);
            begin_ = 0;
            end_ = have;
        }
        if (buffer_.size() < n) buffer_.resize(n);  // n was checked against the file size and the record cap
        while (end_ < n) {
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size() - end_, file_size_ - read_pos_));
            if (want == 0) return false;
            const ssize_t got = env_.PRead(fd_, buffer_.data() + end_, want, static_cast<off_t>(read_pos_));
            if (got < 0) {
                if (errno == EINTR) continue;
                return IoError("cannot read", path_, errno);
            }
            if (got == 0) return false;
            end_ += static_cast<std::size_t>(got);
            read_pos_ += static_cast<std::uint64_t>(got);
        }
        return true;
    }

  private:
    LogEnv& env_;
    int fd_;
    std::uint64_t file_size_;
    std::vector<std::uint8_t>& buffer_;
    const fs::path& path_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::uint64_t read_pos_ = 0;
};

enum class SegmentEnd { kClean, kTorn, kCorrupt };

struct SegmentScan {
    SegmentEnd end = SegmentEnd::kClean;
    std::uint64_t intact_bytes = 0;  // the file header and every record before the first bad one
    std::string problem;             // what ended the scan when it was not clean
};

struct ReadBuffers {
    std::vector<std::uint8_t> bytes;
    std::vector<SeriesSample> samples;
};

// Walks a segment's records, calling on_record(span) for each intact one, and says where and why it stopped.
// Errors only for I/O failures and for a version this build cannot read (refusing is better than silently
// skipping a newer meterhub's data after a downgrade).
template <class OnRecord>
Result<SegmentScan> ScanSegment(LogEnv& env, int fd, const fs::path& path, std::uint64_t file_size,
                                ReadBuffers& buffers, OnRecord&& on_record) {
    SegmentScan scan;
    SegmentReader reader(env, fd, file_size, buffers.bytes, path);
    const auto stop = [&](SegmentEnd end, std::string problem) {
        scan.end = end;
        scan.intact_bytes = reader.offset();
        scan.problem = std::move(problem);
        return scan;
    };

    if (file_size < lf::kFileHeaderSize) return stop(SegmentEnd::kTorn, "file is shorter than its header");
    MH_ASSIGN_OR_RETURN(bool have_header, reader.Fill(lf::kFileHeaderSize));
    if (!have_header) return stop(SegmentEnd::kTorn, "file is shorter than its header");
    if (std::memcmp(reader.data(), lf::kMagic.data(), lf::kMagic.size()) != 0) {
        return stop(SegmentEnd::kCorrupt, "not a sample log segment (bad magic)");
    }
    const std::uint32_t version = LoadU32(reader.data() + lf::kMagic.size());
    if (version != lf::kVersion) {
        return MakeError(Errc::kFailedPrecondition,
                         fmt::format("sample log: segment {} has format version {}, this meterhub reads version {}",
                                     path.string(), version, lf::kVersion));
    }
    reader.Consume(lf::kFileHeaderSize);

    while (reader.remaining() > 0) {
        if (reader.remaining() < lf::kRecordHeaderSize) return stop(SegmentEnd::kTorn, "truncated record header");
        MH_ASSIGN_OR_RETURN(bool have_record_header, reader.Fill(lf::kRecordHeaderSize));
        if (!have_record_header) return stop(SegmentEnd::kTorn, "truncated record header");
        const std::uint32_t length = LoadU32(reader.data());
        const std::uint32_t crc = LoadU32(reader.data() + 4);
        // Eight zero bytes: the zero-filled space ahead of the last record (Options::preallocate_bytes), or a
        // record whose header never reached the disk; either way nothing acknowledged lies beyond.
        if (length == 0 && crc == 0) return stop(SegmentEnd::kClean, {});
        // Validate the length before reading or allocating anything for it.
        if (length == 0 || length > lf::kMaxRecordPayload) {
            return stop(SegmentEnd::kCorrupt, fmt::format("impossible record length {}", length));
        }
        if (length > reader.remaining() - lf::kRecordHeaderSize) {
            return stop(SegmentEnd::kTorn, fmt::format("record of {} bytes runs past the end of the file", length));
        }
        const std::size_t record_size = lf::kRecordHeaderSize + length;
        MH_ASSIGN_OR_RETURN(bool have_record, reader.Fill(record_size));
        if (!have_record) return stop(SegmentEnd::kTorn, "record cut short while reading");
        const std::uint8_t* payload = reader.data() + lf::kRecordHeaderSize;
        if (RecordCrc(reader.data(), payload, length) != crc) return stop(SegmentEnd::kCorrupt, "checksum mismatch");
        std::size_t count = 0;
        if (!DecodePayload(payload, payload + length, buffers.samples, count)) {
            return stop(SegmentEnd::kCorrupt, "malformed record payload");
        }
        on_record(std::span<const SeriesSample>(buffers.samples.data(), count));
        reader.Consume(record_size);
    }
    return stop(SegmentEnd::kClean, {});
}

// ---- The writer ----

class FileSampleLog final : public SampleLog {
  public:
    FileSampleLog(LogEnv& env, fs::path dir, Options options, UniqueFd dir_fd, UniqueFd lock_fd)
        : env_(env),
          dir_(std::move(dir)),
          options_(options),
          dir_fd_(std::move(dir_fd)),
          lock_fd_(std::move(lock_fd)) {}

    // Opens `number` as the segment to append to.
    Status Start(std::uint64_t number) {
        MH_RETURN_IF_ERROR(CreateSegment(number, segment_fd_));
        segment_ = number;
        segment_path_ = dir_ / SegmentName(number);
        segment_size_ = lf::kFileHeaderSize;
        allocated_ = segment_size_;
        return Ok();
    }

    Status Append(std::span<const SeriesSample> samples) override {
        if (broken_) return MakeError(Errc::kUnavailable, *broken_);
        if (samples.empty()) return Ok();
        const fs::path& path = segment_path_;
        const std::uint64_t start = segment_size_;
        ReserveWriteBuffer(MaxRecordBytes(std::min(samples.size(), lf::kMaxSamplesPerRecord)));
        // One write per record: an ordinary append is one record, hence one write(); a huge one is written
        // record by record so the buffer stays bounded by the record cap.
        while (!samples.empty()) {
            const std::size_t n = std::min(samples.size(), lf::kMaxSamplesPerRecord);
            const std::size_t size = EncodeRecord(samples.first(n), write_buffer_.get());
            if (Status grown = Preallocate(segment_size_ + size); !grown) return RollBack(start, std::move(grown).error());
            if (Status written = WriteAll(env_, segment_fd_.get(), write_buffer_.get(), size, segment_size_, path);
                !written) {
                return RollBack(start, std::move(written).error());
            }
            segment_size_ += size;
            samples = samples.subspan(n);
        }
        if (options_.sync && env_.FDataSync(segment_fd_.get()) != 0) {
            // After a failed fdatasync the kernel may have dropped the dirty pages and cleared the error, so
            // nothing written to this segment can be trusted to be on disk any more: refuse further appends.
            Error error = IoError("cannot fdatasync", path, errno);
            Status rolled_back = RollBack(start, error);
            broken_ = fmt::format("sample log: appends refused after an earlier sync failure ({}); reopen the log",
                                  error.message);
            return rolled_back;
        }
        if (write_buffer_capacity_ > kRetainedWriteBufferBytes) {
            write_buffer_.reset();
            write_buffer_capacity_ = 0;
        }
        return Ok();
    }

    Result<std::uint64_t> Rotate() override {
        if (broken_) return MakeError(Errc::kUnavailable, *broken_);
        // Sync the closing segment even without `sync`: callers rotate to then move these samples into
        // chunks and drop the segment, and a closed segment should never be the one with a torn tail.
        if (env_.FDataSync(segment_fd_.get()) != 0) {
            Error error = IoError("cannot fdatasync", segment_path_, errno);
            broken_ = fmt::format("sample log: appends refused after an earlier sync failure ({}); reopen the log",
                                  error.message);
            return error;
        }
        if (segment_ >= lf::kMaxSegmentNumber) {
            return MakeError(Errc::kFailedPrecondition, "sample log: segment numbers exhausted in " + dir_.string());
        }
        // Create the next segment before letting go of the current one, so a failure changes nothing.
        UniqueFd next;
        MH_RETURN_IF_ERROR(CreateSegment(segment_ + 1, next));
        const std::uint64_t closed = segment_;
        segment_fd_ = std::move(next);
        segment_ = closed + 1;
        segment_path_ = dir_ / SegmentName(segment_);
        segment_size_ = lf::kFileHeaderSize;
        allocated_ = segment_size_;
        return closed;
    }

    Status DropThrough(std::uint64_t segment) override {
        MH_ASSIGN_OR_RETURN(std::vector<SegmentFile> segments, ListSegments(dir_));
        bool removed = false;
        std::optional<Error> first_error;
        for (const SegmentFile& file : segments) {
            if (file.number > segment || file.number == segment_) continue;
            if (env_.UnlinkAt(dir_fd_.get(), SegmentName(file.number).c_str(), 0) == 0) {
                removed = true;
            } else if (errno != ENOENT && !first_error) {
                // Keep going: every segment removed is space back, and a retry will catch the rest.
                first_error = IoError("cannot delete", file.path, errno);
            }
        }
        if (removed) MH_RETURN_IF_ERROR(SyncDir());
        if (first_error) return *first_error;
        return Ok();
    }

    std::uint64_t open_segment_bytes() const override { return segment_size_ - lf::kFileHeaderSize; }
    std::uint64_t open_segment() const override { return segment_; }
    Status Health() const override {
        if (broken_) return MakeError(Errc::kUnavailable, *broken_);
        return Ok();
    }

  private:
    Status SyncDir() {
        if (env_.FSync(dir_fd_.get()) != 0) return IoError("cannot fsync directory", dir_, errno);
        return Ok();
    }

    // Creates segment `number` with its header, durably (file, then directory entry), into `out`.
    Status CreateSegment(std::uint64_t number, UniqueFd& out) {
        const std::string name = SegmentName(number);
        const fs::path path = dir_ / name;
        // O_EXCL: numbers only grow, so an existing file means a bug, and must not be overwritten.
        UniqueFd fd(env_.OpenAt(dir_fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd.valid()) return IoError("cannot create", path, errno);
        std::uint8_t header[lf::kFileHeaderSize];
        std::memcpy(header, lf::kMagic.data(), lf::kMagic.size());
        StoreU32(header + lf::kMagic.size(), lf::kVersion);
        Status status = WriteAll(env_, fd.get(), header, sizeof header, 0, path);
        if (status && options_.sync && env_.FDataSync(fd.get()) != 0) {
            status = IoError("cannot fdatasync", path, errno);
        }
        if (status) status = SyncDir();
        if (!status) {
            // Leave no half-made segment behind for the next attempt's O_EXCL to trip over.
            env_.UnlinkAt(dir_fd_.get(), name.c_str(), 0);
            return status;
        }
        out = std::move(fd);
        return Ok();
    }

    void ReserveWriteBuffer(std::size_t bytes) {
        if (write_buffer_capacity_ >= bytes) return;
        // for_overwrite: no point zeroing bytes the encoder is about to write.
        write_buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(bytes);
        write_buffer_capacity_ = bytes;
    }

    // Makes the file at least `end` bytes long, zero-filling Options::preallocate_bytes ahead, so that the
    // appends up to there do not change its size. The zeros reach the disk with the append's fdatasync.
    Status Preallocate(std::uint64_t end) {
        if (options_.preallocate_bytes == 0 || end <= allocated_) return Ok();
        static constexpr std::size_t kZeroBlock = 1 << 20;
        static const std::vector<std::uint8_t> zeros(kZeroBlock, 0);
        const std::uint64_t target = std::max(end, allocated_ + options_.preallocate_bytes);
        for (std::uint64_t at = allocated_; at < target;) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kZeroBlock, target - at));
            MH_RETURN_IF_ERROR(WriteAll(env_, segment_fd_.get(), zeros.data(), n, at, segment_path_));
            at += n;
        }
        allocated_ = target;
        return Ok();
    }

    // Cuts the segment back to `offset` after a failed append so that no partial record sits in front of
    // later good ones (Replay would stop at it and lose them). If even that fails, the log is broken.
    Status RollBack(std::uint64_t offset, Error cause) {
        if (env_.FTruncate(segment_fd_.get(), static_cast<off_t>(offset)) != 0) {
            const int err = errno;
            broken_ = fmt::format(
                "sample log: appends refused: a failed append left a partial record in {} ({}), "
                "and cutting it off failed: {}; reopen the log",
                segment_path_.string(), cause.message, std::generic_category().message(err));
        } else {
            segment_size_ = offset;
            allocated_ = offset;
        }
        return cause;
    }

    LogEnv& env_;
    fs::path dir_;
    Options options_;
    UniqueFd dir_fd_;
    UniqueFd lock_fd_;  // holds the flock for the object's life
    UniqueFd segment_fd_;
    std::uint64_t segment_ = 0;
    fs::path segment_path_;              // for error messages
    std::uint64_t segment_size_ = 0;     // bytes of the open segment in use: header and records
    std::uint64_t allocated_ = 0;        // its file size: segment_size_ plus the zero-filled space ahead
    std::optional<std::string> broken_;  // set: why Append and Rotate are refused
    std::unique_ptr<std::uint8_t[]> write_buffer_;
    std::size_t write_buffer_capacity_ = 0;
};

Status SyncDirFd(LogEnv& env, int dir_fd, const fs::path& dir) {
    if (env.FSync(dir_fd) != 0) return IoError("cannot fsync directory", dir, errno);
    return Ok();
}

// Makes the newest segment end at its last intact record: the tail of a crash mid-append is cut off so it
// never counts as corruption again. Only the newest can legitimately have one: older ones were synced
// when rotated.
Status RepairNewestSegment(LogEnv& env, int dir_fd, const fs::path& dir, const SegmentFile& segment) {
    const std::string name = segment.path.filename().string();
    UniqueFd fd(env.OpenAt(dir_fd, name.c_str(), O_RDWR | O_CLOEXEC, 0));
    if (!fd.valid()) return IoError("cannot open", segment.path, errno);
    MH_ASSIGN_OR_RETURN(const std::uint64_t size, FileSize(env, fd.get(), segment.path));
    if (size < lf::kFileHeaderSize) {
        // A crash between creating the file and syncing its header: it holds no records.
        spdlog::warn("sample log: removing segment {} ({} bytes, shorter than its header)", segment.path.string(),
                     size);
        if (env.UnlinkAt(dir_fd, name.c_str(), 0) != 0) return IoError("cannot delete", segment.path, errno);
        return SyncDirFd(env, dir_fd, dir);
    }
    ReadBuffers buffers;
    MH_ASSIGN_OR_RETURN(const SegmentScan scan,
                        ScanSegment(env, fd.get(), segment.path, size, buffers, [](std::span<const SeriesSample>) {}));
    if (scan.end == SegmentEnd::kClean) return Ok();
    if (scan.intact_bytes < lf::kFileHeaderSize) {
        // Not our file (bad magic): leave the evidence alone; Replay skips it and DropThrough removes it.
        spdlog::warn("sample log: segment {}: {}; leaving it as it is", segment.path.string(), scan.problem);
        return Ok();
    }
    spdlog::warn("sample log: segment {}: {} at offset {}; truncating {} bytes of torn tail", segment.path.string(),
                 scan.problem, scan.intact_bytes, size - scan.intact_bytes);
    if (env.FTruncate(fd.get(), static_cast<off_t>(scan.intact_bytes)) != 0) {
        return IoError("cannot truncate", segment.path, errno);
    }
    if (env.FDataSync(fd.get()) != 0) return IoError("cannot fdatasync", segment.path, errno);
    return Ok();
}

}  // namespace

Result<std::unique_ptr<SampleLog>> SampleLog::Open(const std::filesystem::path& dir, Options options) {
    LogEnv& env = options.env != nullptr ? *options.env : LogEnv::Default();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return MakeError(Errc::kUnavailable,
                         fmt::format("sample log: cannot create directory {}: {}", dir.string(), ec.message()));
    }
    UniqueFd dir_fd(env.Open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0));
    if (!dir_fd.valid()) return IoError("cannot open directory", dir, errno);

    const std::string lock_name(lf::kLockFileName);
    const fs::path lock_path = dir / lock_name;
    UniqueFd lock_fd(env.OpenAt(dir_fd.get(), lock_name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock_fd.valid()) return IoError("cannot open", lock_path, errno);
    // flock belongs to the open file description: a second Open, even in this process, conflicts, and the
    // kernel drops the lock when the process dies, so a crash never leaves the directory locked.
    int locked = 0;
    do {
        locked = env.Flock(lock_fd.get(), LOCK_EX | LOCK_NB);
    } while (locked != 0 && errno == EINTR);
    if (locked != 0) {
        if (errno == EWOULDBLOCK) {
            return MakeError(Errc::kFailedPrecondition,
                             fmt::format("log directory {} is in use by another meterhub process", dir.string()));
        }
        return IoError("cannot lock", lock_path, errno);
    }

    MH_ASSIGN_OR_RETURN(std::vector<SegmentFile> segments, ListSegments(dir));
    std::uint64_t last = 0;
    if (!segments.empty()) {
        last = segments.back().number;
        MH_RETURN_IF_ERROR(RepairNewestSegment(env, dir_fd.get(), dir, segments.back()));
    }
    if (last >= lf::kMaxSegmentNumber) {
        return MakeError(Errc::kFailedPrecondition, "sample log: segment numbers exhausted in " + dir.string());
    }
    // Never append to an old segment: its tail was just validated, but a fresh file keeps "a torn record
    // can only be at the end of the newest segment" true without rereading anything.
    auto log = std::make_unique<FileSampleLog>(env, dir, options, std::move(dir_fd), std::move(lock_fd));
    MH_RETURN_IF_ERROR(log->Start(last + 1));
    return std::unique_ptr<SampleLog>(std::move(log));
}

Status SampleLog::Replay(const std::filesystem::path& dir, const Visitor& visit, LogEnv& env) {
    MH_ASSIGN_OR_RETURN(std::vector<SegmentFile> segments, ListSegments(dir));
    ReadBuffers buffers;  // shared by all segments: allocations happen once, sized by the largest record
    for (const SegmentFile& segment : segments) {
        UniqueFd fd(env.Open(segment.path.c_str(), O_RDONLY | O_CLOEXEC, 0));
        if (!fd.valid()) {
            if (errno == ENOENT) continue;  // dropped by the writer since we listed: its samples are in chunks
            return IoError("cannot open", segment.path, errno);
        }
        MH_ASSIGN_OR_RETURN(const std::uint64_t size, FileSize(env, fd.get(), segment.path));
        ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // a hint; failure changes nothing
        MH_ASSIGN_OR_RETURN(const SegmentScan scan, ScanSegment(env, fd.get(), segment.path, size, buffers,
                                                                [&](std::span<const SeriesSample> samples) {
                                                                    visit(segment.number, samples);
                                                                }));
        if (scan.end != SegmentEnd::kClean) {
            spdlog::warn("sample log: segment {}: {} at offset {}; skipping its last {} bytes", segment.path.string(),
                         scan.problem, scan.intact_bytes, size - scan.intact_bytes);
        }
    }
    return Ok();
}

}  // namespace mh::tsdb
