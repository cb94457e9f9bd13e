// SPDX-License-Identifier: MIT
/*
 * hl_docker: published ports of running containers, from the Docker Engine
 * API (Podman serves the same API). GET /containers/json over the engine's
 * unix socket with libcurl; the JSON is decoded with yajl by a pure parser.
 */
#ifndef HOMELAB_SHARED_HL_DOCKER_H
#define HOMELAB_SHARED_HL_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Default engine socket. */
#define HL_DOCKER_SOCKET "/var/run/docker.sock"

/** Largest API response accepted (hundreds of containers fit easily). */
#define HL_DOCKER_MAX_BODY (8u * 1024u * 1024u)

/**
 * struct hl_docker_port - one entry of a container's "Ports" array.
 * @ip:           host IP ("0.0.0.0", "::", "127.0.0.1") or "" when absent.
 * @private_port: port inside the container.
 * @public_port:  published host port, 0 when the port is only exposed.
 * @proto:        IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP.
 */
struct hl_docker_port {
  char ip[46];
  uint16_t private_port;
  uint16_t public_port;
  uint8_t proto;
};

/**
 * struct hl_docker_container - a running container.
 * @id: full id. @name: first name (the first string in Names) without its
 * leading '/'. @image: image.
 * @ports, @nports: its Ports entries, in the engine's order (an IPv4 and an
 * IPv6 binding of one port are two entries).
 * All strings are owned and never NULL: "" when the engine left them out.
 */
struct hl_docker_container {
  char *id;
  char *name;
  char *image;
  struct hl_docker_port *ports;
  size_t nports;
};

/**
 * struct hl_docker - what the engine said.
 * @available: the API answered with a valid container list.
 * @error:     why not, when !available ("" otherwise).
 * @c, @n:     containers.
 */
struct hl_docker {
  bool available;
  char error[256];
  struct hl_docker_container *c;
  size_t n;
};

/**
 * hl_docker_parse() - decode a GET /containers/json body (pure).
 * @json, @len: the body. @out: filled; free with hl_docker_free().
 *
 * Unknown members are ignored; an entry without PublicPort is an exposed,
 * unpublished port (public_port 0); ports with an unknown Type are skipped.
 * So is any port entry the parser cannot trust: no PrivatePort or Type, a
 * member of the wrong JSON type (a string where a number belongs), a port
 * number that is not an integer in 1..65535 (PublicPort: 0..65535), or an
 * IP that is not a literal IPv4/IPv6 address.
 * @json need not be NUL-terminated; nothing past @len is read. @out is
 * overwritten (its previous contents are not freed); on success
 * @out->available is true, on failure it holds no containers.
 * Return: 0, or -EPROTO with @out->error set for malformed JSON, nesting
 * deeper than 64, or a body that is not an array of objects; -ENOMEM;
 * -EINVAL for a NULL @out or a NULL @json with @len > 0.
 */
int hl_docker_parse(const char *json, size_t len, struct hl_docker *out);

/**
 * hl_docker_collect() - ask the engine at @socket_path (I/O).
 * @socket_path: unix socket. @timeout_ms: whole-request limit (> 0).
 * @out: overwritten like hl_docker_parse() does; on any failure
 * @out->available is false, it holds no containers and @out->error says
 * why (e.g. "connect /var/run/docker.sock: No such file or directory",
 * "HTTP 500: <the engine's message>").
 *
 * Sends GET /containers/json (no /vX.Y prefix, so any engine version
 * answers) with libcurl: no proxy, no redirects, the body capped at
 * HL_DOCKER_MAX_BODY. Safe to call from several threads at once.
 * Return: 0; the connect errno (-ENOENT, -EACCES, -ECONNREFUSED, ...);
 * -ETIMEDOUT; -E2BIG (body over the cap); -EACCES (HTTP 401/403); -EPROTO
 * (another HTTP status, not HTTP at all, or a body hl_docker_parse()
 * rejects); -EINVAL, -ENAMETOOLONG (path longer than sun_path); -ENOMEM;
 * -EIO or another negative errno for other transfer failures.
 */
int hl_docker_collect(const char *socket_path, long timeout_ms,
                      struct hl_docker *out);

/**
 * hl_docker_free() - release @d's containers (c and n become NULL and 0;
 * available and error are left as they were). Accepts NULL, a zeroed struct
 * and a struct already freed.
 */
void hl_docker_free(struct hl_docker *d);

/**
 * hl_docker_short_id() - the first 12 characters of an id.
 * @id: full id (NULL gives ""). @buf: output of at least 13 bytes.
 * Return: @buf.
 */
const char *hl_docker_short_id(const char *id, char *buf);

#endif
