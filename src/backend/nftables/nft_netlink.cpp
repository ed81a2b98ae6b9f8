#include "backend/nftables/nft_netlink.h"

#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <spdlog/spdlog.h>

namespace kt::backend::nftables {

namespace {

// Room for the largest message we build: a set-element chunk is below 64 KiB (the limit of
// one attribute nest) plus headers.
constexpr size_t kMaxMessage = 72 * 1024;
// Dump replies come in skbs of at most 32 KiB; error replies are small (capped ACKs).
constexpr size_t kRecvBuffer = 64 * 1024;
// Room for a get or dump request: a header and a table, chain or set name.
constexpr size_t kRequestBuffer = 8192;
// Requests and dumps never wait longer than this for the kernel (it answers synchronously;
// this only guards against a bug turning into a hang).
constexpr time_t kRecvTimeoutSeconds = 10;

const char* msgTypeName(uint16_t type) {
  switch (type) {
    case NFT_MSG_NEWTABLE:
      return "create";
    case NFT_MSG_DELTABLE:
    case NFT_MSG_DELCHAIN:
    case NFT_MSG_DELSET:
    case NFT_MSG_DELRULE:
      return "delete";
    default:
      return "add";
  }
}

struct KernelError {
  uint32_t seq;
  int errnum;
  std::string message;  // NLMSGERR_ATTR_MSG
  bool hasOffset = false;
  uint32_t offset = 0;  // NLMSGERR_ATTR_OFFS
};

// Reads the extended-ACK attributes that follow struct nlmsgerr (and the echoed request,
// unless it was capped).
void parseExtAck(const nlmsghdr* nlh, KernelError& out) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t off = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - sizeof(nlmsghdr);
  if (NLMSG_HDRLEN + off > nlh->nlmsg_len) return;
  struct Ctx {
    KernelError* out;
  } ctx{&out};
  mnl_attr_parse(
      nlh, static_cast<unsigned>(off),
      [](const nlattr* attr, void* data) -> int {
        auto* c = static_cast<Ctx*>(data);
        switch (mnl_attr_get_type(attr)) {
          case NLMSGERR_ATTR_MSG:
            if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
              c->out->message = mnl_attr_get_str(attr);
            }
            break;
          case NLMSGERR_ATTR_OFFS:
            if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
              c->out->hasOffset = true;
              c->out->offset = mnl_attr_get_u32(attr);
            }
            break;
          default:
            break;
        }
        return MNL_CB_OK;
      },
      &ctx);
}

// Calls f on each attribute in [begin, end).
template <class F>
void forEachAttr(const void* begin, const char* end, F f) {
  const auto* attr = static_cast<const nlattr*>(begin);
  while (mnl_attr_ok(attr, static_cast<int>(end - reinterpret_cast<const char*>(attr)))) {
    f(attr);
    attr = mnl_attr_next(attr);
  }
}

template <class F>
void forEachNested(const nlattr* nest, F f) {
  forEachAttr(mnl_attr_get_payload(nest), reinterpret_cast<const char*>(nest) + nest->nla_len, f);
}

int dispatch(const nlmsghdr* nlh, void* data) {
  return (*static_cast<const std::function<int(const nlmsghdr*)>*>(data))(nlh);
}

}  // namespace

// --- Batch ----------------------------------------------------------------------------------

Batch::Batch(uint32_t firstSeq) : firstSeq_(firstSeq), nextSeq_(firstSeq) {
  nlmsghdr* nlh = reserve(NLMSG_HDRLEN + sizeof(nfgenmsg));
  nftnl_batch_begin(reinterpret_cast<char*>(nlh), nextSeq_++);
  commit(nlh);
}

nlmsghdr* Batch::reserve(size_t maxLen) {
  if (size_ + maxLen > cap_) {
    // Grow without zero-filling (a vector would clear every reserved byte on each message);
    // netlink headers and attribute padding are written explicitly by libmnl.
    size_t cap = std::max(cap_ * 2, size_ + maxLen);
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    cap_ = cap;
  }
  return reinterpret_cast<nlmsghdr*>(data_.get() + size_);
}

void Batch::commit(nlmsghdr* nlh) {
  size_ += MNL_ALIGN(nlh->nlmsg_len);
}

void Batch::add(uint16_t type, uint16_t flags, Describe what,
                const std::function<void(nlmsghdr*)>& build) {
  nlmsghdr* nlh = reserve(kMaxMessage);
  size_t offset = size_;
  uint32_t seq = nextSeq_++;
  nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(nlh), type, NFPROTO_INET, flags, seq);
  build(nlh);
  commit(nlh);
  msgs_.push_back(Message{seq, offset, size_ - offset, type, std::move(what)});
}

void Batch::finish() {
  if (!msgs_.empty()) {
    // One ACK, on the last message: errors are reported for every failing message anyway,
    // and the kernel delivers all answers in message order, so this ACK comes last.
    reinterpret_cast<nlmsghdr*>(data_.get() + msgs_.back().offset)->nlmsg_flags |= NLM_F_ACK;
  }
  nlmsghdr* nlh = reserve(NLMSG_HDRLEN + sizeof(nfgenmsg));
  nftnl_batch_end(reinterpret_cast<char*>(nlh), nextSeq_++);
  commit(nlh);
}

const Batch::Message* Batch::find(uint32_t seq) const {
  if (seq <= firstSeq_ || seq > firstSeq_ + msgs_.size()) return nullptr;
  return &msgs_[seq - firstSeq_ - 1];
}

// --- NftSocket ------------------------------------------------------------------------------

Result<NftSocket> NftSocket::open() {
  auto opened = sys::openMnlSocket(NETLINK_NETFILTER, "netfilter netlink");
  if (!opened) {
    return std::move(opened).takeError().hint(
        "the kernel needs nf_tables (CONFIG_NF_TABLES) for the nftables backend");
  }
  sys::MnlSocket sock = std::move(opened).value();
  int fd = mnl_socket_get_fd(sock.get());
  int one = 1;
  // Both are best effort: without them errors carry less detail, but still the errno.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  timeval tv{kRecvTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  NftSocket s(std::move(sock), mnl_socket_get_portid(sock.get()),
              static_cast<uint32_t>(std::time(nullptr)));
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0) s.sndbuf_ = sndbuf;
  return s;
}

Status NftSocket::growSendBuffer(size_t len) {
  // netlink refuses a message larger than the send buffer (minus a little); a batch is one
  // message as far as the socket is concerned.
  size_t need = len + 4096;
  if (need <= sndbuf_) return {};
  int fd = mnl_socket_get_fd(sock_.get());
  int want = static_cast<int>(need);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) != 0 &&
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want) != 0) {
    return Error::system("enlarging the netlink send buffer to " + std::to_string(need), errno);
  }
  int got = 0;
  socklen_t gl = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &gl) == 0) sndbuf_ = got;
  return {};
}

char* NftSocket::recvBuffer() {
  if (!recv_) recv_.reset(new char[kRecvBuffer]);
  return recv_.get();
}

Status NftSocket::commit(const Batch& batch) {
  if (batch.empty()) return {};
  if (seq_ <= batch.endSeq()) seq_ = batch.endSeq() + 1;
  KT_TRY(growSendBuffer(batch.size()));
  if (mnl_socket_sendto(sock_.get(), batch.data(), batch.size()) < 0) {
    return Error::system("sending the nftables batch (" + std::to_string(batch.size()) + " bytes)",
                         errno);
  }

  // The kernel processes the batch inside sendmsg, so every answer is queued by now.
  const uint32_t lastSeq = batch.last().seq;
  std::vector<KernelError> errors;
  bool acked = false;
  char* buf = recvBuffer();
  int fd = mnl_socket_get_fd(sock_.get());
  while (!acked) {
    ssize_t n = recv(fd, buf, kRecvBuffer, MSG_DONTWAIT);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      return Error::system("reading the kernel's answer to the nftables batch", err);
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error != 0) {
        KernelError ke{nlh->nlmsg_seq, -err->error, {}, false, 0};
        parseExtAck(nlh, ke);
        errors.push_back(std::move(ke));
      }
      // The batch-begin message is answered only when the kernel refuses the whole batch.
      if (nlh->nlmsg_seq == lastSeq || nlh->nlmsg_seq == batch.beginSeq()) acked = true;
    }
  }
  if (errors.empty()) {
    if (acked) return {};
    return Error::runtime("the kernel did not acknowledge the nftables batch");
  }

  // Later errors are usually consequences of the first (a rule naming a chain that failed).
  const KernelError* first = &errors.front();
  for (const auto& e : errors) {
    if (batch.find(e.seq)) {
      first = &e;
      break;
    }
  }
  const Batch::Message* m = batch.find(first->seq);
  std::string what;
  if (m) {
    what = std::string("nf_tables refused to ") + msgTypeName(m->type) + " " + m->what();
    if (first->hasOffset) {
      auto where = describeAttributeAt(batch.data() + m->offset, m->len, first->offset);
      if (!where.empty()) what += " (at " + where + ")";
    }
  } else {
    what = "nf_tables refused the batch";
  }
  if (!first->message.empty()) what += ": " + first->message;
  if (errors.size() > 1) {
    what += " [" + std::to_string(errors.size() - 1) + " more message(s) of the batch failed]";
  }
  return Error::system(what, first->errnum)
      .hint(
          "nothing of this batch was applied: nf_tables accepts a transaction whole or not at all");
}

Status NftSocket::request(uint16_t type, uint16_t flags,
                          const std::function<void(nlmsghdr*)>& build,
                          const std::function<int(const nlmsghdr*)>& onMessage) {
  alignas(nlmsghdr) char req[kRequestBuffer];
  uint32_t seq = nextSeq();
  auto* nlh = nftnl_nlmsg_build_hdr(req, type, NFPROTO_INET, flags, seq);
  build(nlh);
  if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0) {
    return Error::system("sending an nf_tables request", errno);
  }
  char* buf = recvBuffer();
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_.get(), buf, kRecvBuffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::system("reading an nf_tables reply", errno);
    }
    int ret = mnl_cb_run(buf, static_cast<size_t>(n), seq, portid_, dispatch,
                         const_cast<std::function<int(const nlmsghdr*)>*>(&onMessage));
    if (ret < 0) return Error::system("nf_tables request", errno);
    if (ret == MNL_CB_STOP) return {};
  }
}

std::string describeAttributeAt(const char* msg, size_t len, uint32_t offset) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(msg);
  if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len) return {};
  const uint16_t type = nlh->nlmsg_type & 0xff;
  auto contains = [&](const nlattr* a) {
    size_t start = reinterpret_cast<const char*>(a) - msg;
    return offset >= start && offset < start + a->nla_len;
  };
  std::string out;
  forEachAttr(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)),
              static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh)), [&](const nlattr* attr) {
                if (!out.empty() || !contains(attr)) return;
                out = "attribute " + std::to_string(mnl_attr_get_type(attr));
                if (type != NFT_MSG_NEWRULE || mnl_attr_get_type(attr) != NFTA_RULE_EXPRESSIONS) {
                  return;
                }
                int index = 0;
                forEachNested(attr, [&](const nlattr* elem) {
                  ++index;
                  if (!contains(elem)) return;
                  std::string name;
                  forEachNested(elem, [&](const nlattr* inner) {
                    if (mnl_attr_get_type(inner) == NFTA_EXPR_NAME &&
                        mnl_attr_validate(inner, MNL_TYPE_NUL_STRING) == 0) {
                      name = mnl_attr_get_str(inner);
                    }
                  });
                  out = "expression " + std::to_string(index) +
                        (name.empty() ? "" : " (" + name + ")");
                });
              });
  return out;
}

}  // namespace kt::backend::nftables
