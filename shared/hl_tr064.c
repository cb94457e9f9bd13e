// SPDX-License-Identifier: MIT
/*
 * hl_tr064: pure TR-064 / UPnP IGD protocol code (PROTOCOLS.md §2.1).
 *
 * Data flow: the HTTP client asks hl_tr064_envelope() and
 * hl_tr064_soapaction() for a request body and header, POSTs it to the
 * controlURL learnt from hl_tr064_parse_desc(), and hands the answer to
 * hl_tr064_parse_response(), which yields name/value pairs or a UPnPError.
 * The *_from() functions then copy the pairs they know, through one table
 * per area, into typed structs (DSL tenths of dB become dB, kbit/s become
 * bit/s); hl_tr064_counter32_update() extends 32-bit byte counters.
 *
 * Hardening: every body is checked before libxml2 sees it: at most
 * HL_TR064_MAX_BODY bytes, starts with '<' (after a BOM and blanks), is not
 * an HTML page and holds no "<!DOCTYPE" anywhere (case-insensitive). With no
 * DTD there can be no entity declarations, so no billion-laughs expansion
 * and no external entity, whatever the parser options. libxml2 then runs
 * with XML_PARSE_NONET | XML_PARSE_NOBLANKS (no NOENT, no DTDLOAD, no HUGE,
 * so its own 256-level depth limit holds) and NOERROR | NOWARNING so it
 * never prints. Our own tree walk over embedded devices stops at 16 levels.
 * Reasons put in error fields are fixed strings plus a line number; fault
 * descriptions are cut to printable ASCII: no body bytes echo secrets.
 *
 * File-scope state: xmlInitParser() must run once before the parser is used
 * from several threads; it is called through pthread_once(). There is no
 * other global. xmlCleanupParser() is never called (a library cannot know
 * when the last user is gone).
 */
#include "hl_tr064.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define TR064_MAX_DEPTH 16 /* embedded device levels (a 7590 uses 3) */
#define TR064_MAX_SERVICES 256
#define TR064_MAX_ACTIONS 512
#define SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_ENC "http://schemas.xmlsoap.org/soap/encoding/"

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void) { xmlInitParser(); }

static void set_err(char *err, size_t errlen, const char *why) {
  if (err != NULL && errlen > 0)
    hl_str_copy(err, errlen, why);
}

/* ---- requests ---------------------------------------------------------- */

static bool name_ok(const char *s, bool urn) {
  if (s == NULL || s[0] == '\0')
    return false;
  for (const char *p = s; *p != '\0'; p++) {
    char c = *p;
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              (urn && (c == ':' || c == '.'));
    if (!ok)
      return false;
  }
  char c0 = s[0];
  return (c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z') || c0 == '_';
}

static int append_str(struct hl_buf *b, const char *s) {
  return hl_buf_append(b, s, strlen(s));
}

static int append_escaped(struct hl_buf *b, const char *v) {
  for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
    const char *rep = NULL;
    switch (*p) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&apos;";
      break;
    case '\r':
      rep = "&#13;"; /* a literal CR would be normalised away */
      break;
    default:
      if (*p < 0x20 && *p != '\t' && *p != '\n')
        return -EINVAL;
    }
    int rc = rep != NULL ? append_str(b, rep) : hl_buf_append(b, p, 1);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int append_args(struct hl_buf *out, const struct hl_tr064_arg *args,
                       size_t nargs) {
  for (size_t i = 0; i < nargs; i++) {
    if (!name_ok(args[i].name, false) || args[i].value == NULL)
      return -EINVAL;
    const char *parts[] = {"<", args[i].name, ">"};
    for (size_t j = 0; j < 3; j++)
      if (append_str(out, parts[j]) < 0)
        return -E2BIG;
    int rc = append_escaped(out, args[i].value);
    if (rc == 0)
      rc = append_str(out, "</");
    if (rc == 0)
      rc = append_str(out, args[i].name);
    if (rc == 0)
      rc = append_str(out, ">");
    if (rc < 0)
      return rc;
  }
  return 0;
}

int hl_tr064_envelope(const char *service_type, const char *action,
                      const struct hl_tr064_arg *args, size_t nargs,
                      struct hl_buf *out) {
  if (out == NULL || !name_ok(service_type, true) || !name_ok(action, false) ||
      (args == NULL && nargs > 0))
    return -EINVAL;
  for (size_t i = 0; i < nargs; i++)
    if (!name_ok(args[i].name, false) || args[i].value == NULL)
      return -EINVAL;
  const char *head[] = {"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                        "<s:Envelope s:encodingStyle=\"" SOAP_ENC "\""
                        " xmlns:s=\"" SOAP_ENV_NS "\"><s:Body><u:",
                        action, " xmlns:u=\"", service_type, "\">"};
  for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
    int rc = append_str(out, head[i]);
    if (rc < 0)
      return rc;
  }
  int rc = append_args(out, args, nargs);
  if (rc < 0)
    return rc;
  const char *tail[] = {"</u:", action, "></s:Body></s:Envelope>"};
  for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
    rc = append_str(out, tail[i]);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int hl_tr064_soapaction(const char *service_type, const char *action, char *buf,
                        size_t size) {
  if (buf == NULL || size == 0)
    return -EINVAL;
  buf[0] = '\0';
  if (!name_ok(service_type, true) || !name_ok(action, false))
    return -EINVAL;
  int n = snprintf(buf, size, "%s#%s", service_type, action);
  if (n < 0 || (size_t)n >= size)
    return -ENAMETOOLONG;
  return 0;
}

/* ---- hardened parsing -------------------------------------------------- */

static bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Case-insensitive prefix test on [p, end). */
static bool starts_ci(const char *p, const char *end, const char *lit) {
  size_t n = strlen(lit);
  return (size_t)(end - p) >= n && strncasecmp(p, lit, n) == 0;
}

/* Any "<!DOCTYPE" in [p, end), any case. Bounded, no NUL assumption. */
static bool has_doctype(const char *p, const char *end) {
  for (; p < end; p++)
    if (*p == '<' && starts_ci(p, end, "<!doctype"))
      return true;
  return false;
}

/* Pre-checks; on success *start is the first byte to parse. */
static int precheck(const char *body, size_t len, char *err, size_t errlen) {
  if (len > HL_TR064_MAX_BODY) {
    set_err(err, errlen, "body larger than 1 MiB");
    return -E2BIG;
  }
  const char *p = body;
  const char *end = body + len;
  if (starts_ci(p, end, "\xef\xbb\xbf"))
    p += 3;
  while (p < end && blank(*p))
    p++;
  if (p == end) {
    set_err(err, errlen, "empty body");
    return -EPROTO;
  }
  if (*p != '<') {
    set_err(err, errlen, "not XML");
    return -EPROTO;
  }
  if (starts_ci(p, end, "<!doctype html") || starts_ci(p, end, "<html")) {
    set_err(err, errlen, "HTML page instead of XML");
    return -EPROTO;
  }
  if (has_doctype(p, end)) {
    set_err(err, errlen, "DOCTYPE not allowed");
    return -EPROTO;
  }
  return 0;
}

/* Parses a pre-checked body. Return: 0 with *doc set, -EPROTO, -ENOMEM. */
static int xml_parse(const char *body, size_t len, xmlDoc **doc, char *err,
                     size_t errlen) {
  *doc = NULL;
  int rc = precheck(body, len, err, errlen);
  if (rc < 0)
    return rc;
  pthread_once(&xml_once, xml_init);
  xmlParserCtxt *ctxt = xmlNewParserCtxt();
  if (ctxt == NULL)
    return -ENOMEM;
  int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
             XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  *doc = xmlCtxtReadMemory(ctxt, body, (int)len, "tr064.xml", NULL, opts);
  if (*doc == NULL || !ctxt->wellFormed) {
    char why[64];
    snprintf(why, sizeof(why), "malformed XML near line %d",
             ctxt->lastError.line);
    set_err(err, errlen, why);
    xmlFreeDoc(*doc);
    *doc = NULL;
    rc = ctxt->lastError.code == XML_ERR_NO_MEMORY ? -ENOMEM : -EPROTO;
  }
  xmlFreeParserCtxt(ctxt);
  return rc;
}

/* Local part of an element name, whether or not its prefix was bound. */
static const char *local_name(const xmlNode *n) {
  const char *name = (const char *)n->name;
  const char *colon = strrchr(name, ':');
  return colon != NULL ? colon + 1 : name;
}

static bool is_elem(const xmlNode *n, const char *local) {
  return n != NULL && n->type == XML_ELEMENT_NODE &&
         strcmp(local_name(n), local) == 0;
}

static xmlNode *first_elem(xmlNode *n) {
  for (; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE)
      return n;
  return NULL;
}

static xmlNode *child(const xmlNode *parent, const char *local) {
  if (parent == NULL)
    return NULL;
  for (xmlNode *n = parent->children; n != NULL; n = n->next)
    if (is_elem(n, local))
      return n;
  return NULL;
}

/* Text of @n's direct text children, blanks trimmed; malloc'd ("" if none).
 * Nested elements are ignored (TR-064 arguments are scalars). */
static char *text_of(const xmlNode *n) {
  struct hl_buf b;
  hl_buf_init(&b, HL_TR064_MAX_BODY);
  if (hl_buf_append(&b, "", 0) < 0)
    return NULL;
  for (const xmlNode *c = n != NULL ? n->children : NULL; c != NULL;
       c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
        c->content != NULL && append_str(&b, (const char *)c->content) < 0) {
      hl_buf_free(&b);
      return NULL;
    }
  }
  size_t s = 0;
  while (s < b.len && blank(b.data[s]))
    s++;
  while (b.len > s && blank(b.data[b.len - 1]))
    b.len--;
  memmove(b.data, b.data + s, b.len - s);
  b.data[b.len - s] = '\0';
  return b.data;
}

/* Copies text_of(@n) into @buf. Return: 0, -ENOMEM or -ENAMETOOLONG. */
static int text_into(const xmlNode *n, char *buf, size_t size) {
  char *t = text_of(n);
  if (t == NULL)
    return -ENOMEM;
  size_t l = hl_str_copy(buf, size, t);
  free(t);
  return l >= size ? -ENAMETOOLONG : 0;
}

/* Printable-ASCII copy of @s, at most @size-1 bytes. */
static void printable_copy(char *buf, size_t size, const char *s) {
  size_t i = 0;
  for (; s != NULL && s[i] != '\0' && i + 1 < size; i++)
    buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  if (size > 0)
    buf[i] = '\0';
}

/* ---- responses --------------------------------------------------------- */

static int parse_fault(const xmlNode *fault, struct hl_tr064_response *out) {
  xmlNode *upnp = child(child(fault, "detail"), "UPnPError");
  char *code = text_of(child(upnp, "errorCode"));
  char *desc = text_of(upnp != NULL ? child(upnp, "errorDescription")
                                    : child(fault, "faultstring"));
  int rc = -EREMOTEIO;
  uint64_t v = 0;
  if (code == NULL || desc == NULL)
    rc = -ENOMEM;
  else if (hl_str_to_u64(code, 1, 99999, &v) == 0)
    out->fault_code = (int)v;
  if (desc != NULL)
    printable_copy(out->fault_desc, sizeof(out->fault_desc), desc);
  if (out->fault_desc[0] == '\0')
    hl_str_copy(out->fault_desc, sizeof(out->fault_desc),
                hl_tr064_fault_name(out->fault_code));
  free(code);
  free(desc);
  return rc;
}

/* Whether @n is named "<action>Response" (any name ending in "Response"
 * when @action is NULL). */
static bool response_name_ok(const xmlNode *n, const char *action) {
  const char *name = local_name(n);
  size_t l = strlen(name);
  static const char suffix[] = "Response";
  size_t sl = sizeof(suffix) - 1;
  if (l <= sl || strcmp(name + l - sl, suffix) != 0)
    return false;
  return action == NULL ||
         (strlen(action) == l - sl && strncmp(name, action, l - sl) == 0);
}

static int collect_pairs(const xmlNode *resp, struct hl_tr064_response *out) {
  size_t n = 0;
  for (xmlNode *c = resp->children; c != NULL; c = c->next)
    n += c->type == XML_ELEMENT_NODE;
  if (n > HL_TR064_MAX_PAIRS) {
    hl_str_copy(out->error, sizeof(out->error), "too many arguments");
    return -EPROTO;
  }
  out->pairs = calloc(n > 0 ? n : 1, sizeof(*out->pairs));
  if (out->pairs == NULL)
    return -ENOMEM;
  for (xmlNode *c = resp->children; c != NULL; c = c->next) {
    if (c->type != XML_ELEMENT_NODE)
      continue;
    struct hl_tr064_pair *p = &out->pairs[out->npairs];
    p->name = strdup(local_name(c));
    p->value = text_of(c);
    out->npairs++;
    if (p->name == NULL || p->value == NULL)
      return -ENOMEM;
  }
  return 0;
}

static int response_from_doc(xmlDoc *doc, const char *action,
                             struct hl_tr064_response *out) {
  xmlNode *env = xmlDocGetRootElement(doc);
  if (!is_elem(env, "Envelope")) {
    hl_str_copy(out->error, sizeof(out->error), "no SOAP Envelope");
    return -EPROTO;
  }
  xmlNode *body = child(env, "Body");
  xmlNode *first = body != NULL ? first_elem(body->children) : NULL;
  if (first == NULL) {
    hl_str_copy(out->error, sizeof(out->error), "no SOAP Body content");
    return -EPROTO;
  }
  if (is_elem(first, "Fault"))
    return parse_fault(first, out);
  if (!response_name_ok(first, action)) {
    hl_str_copy(out->error, sizeof(out->error), "unexpected response element");
    return -EPROTO;
  }
  return collect_pairs(first, out);
}

int hl_tr064_parse_response(const char *body, size_t len, const char *action,
                            struct hl_tr064_response *out) {
  if (out == NULL)
    return -EINVAL;
  memset(out, 0, sizeof(*out));
  if (body == NULL && len > 0)
    return -EINVAL;
  xmlDoc *doc = NULL;
  int rc = xml_parse(body != NULL ? body : "", len, &doc, out->error,
                     sizeof(out->error));
  if (rc < 0)
    return rc;
  rc = response_from_doc(doc, action, out);
  xmlFreeDoc(doc);
  if (rc < 0 && rc != -EREMOTEIO)
    hl_tr064_response_free(out);
  if (rc == -ENOMEM)
    hl_str_copy(out->error, sizeof(out->error), "out of memory");
  return rc;
}

void hl_tr064_response_free(struct hl_tr064_response *r) {
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->npairs; i++) {
    free(r->pairs[i].name);
    free(r->pairs[i].value);
  }
  free(r->pairs);
  r->pairs = NULL;
  r->npairs = 0;
}

const char *hl_tr064_fault_name(int code) {
  switch (code) {
  case HL_TR064_FAULT_INVALID_ACTION:
    return "Invalid Action";
  case HL_TR064_FAULT_INVALID_ARGS:
    return "Invalid Args";
  case HL_TR064_FAULT_ACTION_FAILED:
    return "Action Failed";
  case HL_TR064_FAULT_NOT_AUTHORIZED:
    return "Action not authorized";
  case HL_TR064_FAULT_ARRAY_INDEX:
    return "SpecifiedArrayIndexInvalid";
  case HL_TR064_FAULT_NO_SUCH_ENTRY:
    return "NoSuchEntryInArray";
  case HL_TR064_FAULT_INTERNAL:
    return "Internal Error";
  default:
    return "Unknown";
  }
}

/* ---- accessors --------------------------------------------------------- */

const char *hl_tr064_get(const struct hl_tr064_response *r, const char *name) {
  if (r == NULL || name == NULL)
    return NULL;
  for (size_t i = 0; i < r->npairs; i++)
    if (strcmp(r->pairs[i].name, name) == 0)
      return r->pairs[i].value;
  return NULL;
}

int hl_tr064_get_u64(const struct hl_tr064_response *r, const char *name,
                     uint64_t *out) {
  const char *v = hl_tr064_get(r, name);
  if (v == NULL)
    return -ENOENT;
  return hl_str_to_u64(v, 0, UINT64_MAX, out);
}

int hl_tr064_get_u32(const struct hl_tr064_response *r, const char *name,
                     uint32_t *out) {
  uint64_t v = 0;
  const char *s = hl_tr064_get(r, name);
  if (s == NULL)
    return -ENOENT;
  int rc = hl_str_to_u64(s, 0, UINT32_MAX, &v);
  if (rc == 0)
    *out = (uint32_t)v;
  return rc;
}

int hl_tr064_get_i32(const struct hl_tr064_response *r, const char *name,
                     int32_t *out) {
  int64_t v = 0;
  const char *s = hl_tr064_get(r, name);
  if (s == NULL)
    return -ENOENT;
  int rc = hl_str_to_i64(s, INT32_MIN, INT32_MAX, &v);
  if (rc == 0)
    *out = (int32_t)v;
  return rc;
}

int hl_tr064_get_bool(const struct hl_tr064_response *r, const char *name,
                      bool *out) {
  static const char *const yes[] = {"1", "true", "yes"};
  static const char *const no[] = {"0", "false", "no"};
  const char *s = hl_tr064_get(r, name);
  if (s == NULL)
    return -ENOENT;
  for (size_t i = 0; i < 3; i++) {
    if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
      *out = strcasecmp(s, yes[i]) == 0;
      return 0;
    }
  }
  return -EINVAL;
}

int hl_tr064_get_str(const struct hl_tr064_response *r, const char *name,
                     char *buf, size_t size) {
  if (buf == NULL || size == 0)
    return -EINVAL;
  buf[0] = '\0';
  const char *s = hl_tr064_get(r, name);
  if (s == NULL)
    return -ENOENT;
  return hl_str_copy(buf, size, s) >= size ? -ENAMETOOLONG : 0;
}

/* ---- description files ------------------------------------------------- */

/* A printable absolute path without blanks, quotes or backslashes. */
static bool path_ok(const char *s) {
  if (s == NULL || s[0] != '/' || s[1] == '/')
    return false;
  for (const char *p = s; *p != '\0'; p++)
    if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '<' ||
        *p == '>')
      return false;
  return true;
}

static void service_clear(struct hl_tr064_service *s) {
  free(s->type);
  free(s->id);
  free(s->control_url);
  free(s->scpd_url);
  for (size_t i = 0; i < s->nactions; i++)
    free(s->actions[i]);
  free(s->actions);
  memset(s, 0, sizeof(*s));
}

/* Appends one <service> if usable. Return: 0 (added or skipped), -ENOMEM. */
static int add_service(struct hl_tr064_desc *d, size_t *cap,
                       const xmlNode *svc) {
  struct hl_tr064_service s = {
      .type = text_of(child(svc, "serviceType")),
      .id = text_of(child(svc, "serviceId")),
      .control_url = text_of(child(svc, "controlURL")),
      .scpd_url = text_of(child(svc, "SCPDURL")),
  };
  if (s.type == NULL || s.id == NULL || s.control_url == NULL ||
      s.scpd_url == NULL) {
    service_clear(&s);
    return -ENOMEM;
  }
  if (s.type[0] == '\0' || !path_ok(s.control_url) ||
      d->nservices >= TR064_MAX_SERVICES) {
    service_clear(&s);
    return 0;
  }
  if (!path_ok(s.scpd_url))
    s.scpd_url[0] = '\0';
  if (d->nservices == *cap) {
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(d->services, ncap * sizeof(*d->services));
    if (p == NULL) {
      service_clear(&s);
      return -ENOMEM;
    }
    d->services = p;
    *cap = ncap;
  }
  d->services[d->nservices++] = s;
  return 0;
}

static int walk_device(struct hl_tr064_desc *d, size_t *cap, const xmlNode *dev,
                       unsigned depth) {
  if (depth > TR064_MAX_DEPTH)
    return 0;
  for (xmlNode *s = child(child(dev, "serviceList"), "service"); s != NULL;
       s = s->next) {
    if (!is_elem(s, "service"))
      continue;
    int rc = add_service(d, cap, s);
    if (rc < 0)
      return rc;
  }
  for (xmlNode *c = child(child(dev, "deviceList"), "device"); c != NULL;
       c = c->next) {
    if (!is_elem(c, "device"))
      continue;
    int rc = walk_device(d, cap, c, depth + 1);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int desc_from_doc(xmlDoc *doc, struct hl_tr064_desc *out) {
  xmlNode *root = xmlDocGetRootElement(doc);
  xmlNode *dev = is_elem(root, "root") ? child(root, "device") : NULL;
  if (dev == NULL) {
    hl_str_copy(out->error, sizeof(out->error), "no root device");
    return -EPROTO;
  }
  /* Over-long strings are cut (text_into() reports it); still usable. */
  int rc = text_into(child(dev, "modelName"), out->model_name,
                     sizeof(out->model_name));
  if (rc != -ENOMEM)
    rc = text_into(child(dev, "friendlyName"), out->friendly_name,
                   sizeof(out->friendly_name));
  if (rc != -ENOMEM)
    rc = text_into(child(child(root, "systemVersion"), "Display"),
                   out->firmware, sizeof(out->firmware));
  if (rc == -ENOMEM)
    return rc;
  size_t cap = 0;
  return walk_device(out, &cap, dev, 0);
}

int hl_tr064_parse_desc(const char *body, size_t len,
                        struct hl_tr064_desc *out) {
  if (out == NULL)
    return -EINVAL;
  memset(out, 0, sizeof(*out));
  if (body == NULL && len > 0)
    return -EINVAL;
  xmlDoc *doc = NULL;
  int rc = xml_parse(body != NULL ? body : "", len, &doc, out->error,
                     sizeof(out->error));
  if (rc < 0)
    return rc;
  rc = desc_from_doc(doc, out);
  xmlFreeDoc(doc);
  if (rc < 0) {
    hl_tr064_desc_free(out);
    if (rc == -ENOMEM)
      hl_str_copy(out->error, sizeof(out->error), "out of memory");
  }
  return rc;
}

static int scpd_actions(const xmlNode *list, char ***actions, size_t *n) {
  size_t cap = 0;
  for (xmlNode *a = child(list, "action"); a != NULL; a = a->next) {
    if (!is_elem(a, "action"))
      continue;
    if (*n >= TR064_MAX_ACTIONS)
      return -EPROTO;
    char *name = text_of(child(a, "name"));
    if (name == NULL)
      return -ENOMEM;
    if (name[0] == '\0') {
      free(name);
      continue;
    }
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      void *p = realloc(*actions, cap * sizeof(**actions));
      if (p == NULL) {
        free(name);
        return -ENOMEM;
      }
      *actions = p;
    }
    (*actions)[(*n)++] = name;
  }
  return 0;
}

int hl_tr064_parse_scpd(const char *body, size_t len,
                        struct hl_tr064_service *svc, char *error,
                        size_t errlen) {
  set_err(error, errlen, "");
  if (svc == NULL || (body == NULL && len > 0))
    return -EINVAL;
  xmlDoc *doc = NULL;
  int rc = xml_parse(body != NULL ? body : "", len, &doc, error, errlen);
  if (rc < 0)
    return rc;
  xmlNode *root = xmlDocGetRootElement(doc);
  char **actions = NULL;
  size_t n = 0;
  if (!is_elem(root, "scpd")) {
    set_err(error, errlen, "no scpd root");
    rc = -EPROTO;
  } else {
    rc = scpd_actions(child(root, "actionList"), &actions, &n);
    if (rc == -EPROTO)
      set_err(error, errlen, "too many actions");
  }
  xmlFreeDoc(doc);
  if (rc < 0) {
    for (size_t i = 0; i < n; i++)
      free(actions[i]);
    free(actions);
    return rc;
  }
  for (size_t i = 0; i < svc->nactions; i++)
    free(svc->actions[i]);
  free(svc->actions);
  svc->actions = actions;
  svc->nactions = n;
  svc->have_actions = true;
  return 0;
}

const struct hl_tr064_service *hl_tr064_desc_find(const struct hl_tr064_desc *d,
                                                  const char *service_type) {
  if (d == NULL || service_type == NULL)
    return NULL;
  for (size_t i = 0; i < d->nservices; i++)
    if (strcmp(d->services[i].type, service_type) == 0)
      return &d->services[i];
  return NULL;
}

bool hl_tr064_service_has_action(const struct hl_tr064_service *svc,
                                 const char *action) {
  if (svc == NULL || action == NULL)
    return false;
  if (!svc->have_actions)
    return true;
  for (size_t i = 0; i < svc->nactions; i++)
    if (strcmp(svc->actions[i], action) == 0)
      return true;
  return false;
}

void hl_tr064_desc_free(struct hl_tr064_desc *d) {
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->nservices; i++)
    service_clear(&d->services[i]);
  free(d->services);
  d->services = NULL;
  d->nservices = 0;
}

/* ---- values per area --------------------------------------------------- */

double hl_tr064_tenth_db(int32_t tenths) { return (double)tenths / 10.0; }

uint64_t hl_tr064_kbit_to_bit(uint32_t kbit) { return (uint64_t)kbit * 1000; }

enum ftype { F_U64, F_U32, F_STR, F_KBIT, F_TENTH_DB, F_IP };

/* One argument of one area: where it goes and how it is converted. */
struct field {
  const char *name;
  enum ftype type;
  size_t off;
  size_t size; /* F_STR / F_IP: buffer size */
  uint32_t bit;
};

static bool ip_literal(const char *s) {
  unsigned char a[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static bool apply_field(const struct hl_tr064_response *r,
                        const struct field *f, char *dst) {
  uint32_t u32 = 0;
  int32_t i32 = 0;
  switch (f->type) {
  case F_U64:
    return hl_tr064_get_u64(r, f->name, (uint64_t *)(void *)dst) == 0;
  case F_U32:
    return hl_tr064_get_u32(r, f->name, (uint32_t *)(void *)dst) == 0;
  case F_STR: {
    char tmp[128]; /* so a value that does not fit leaves @dst alone */
    if (f->size > sizeof(tmp) ||
        hl_tr064_get_str(r, f->name, tmp, f->size) != 0)
      return false;
    memcpy(dst, tmp, strlen(tmp) + 1);
    return true;
  }
  case F_KBIT:
    if (hl_tr064_get_u32(r, f->name, &u32) != 0)
      return false;
    *(uint64_t *)(void *)dst = hl_tr064_kbit_to_bit(u32);
    return true;
  case F_TENTH_DB:
    if (hl_tr064_get_i32(r, f->name, &i32) != 0)
      return false;
    *(double *)(void *)dst = hl_tr064_tenth_db(i32);
    return true;
  case F_IP: {
    char tmp[64];
    if (hl_tr064_get_str(r, f->name, tmp, sizeof(tmp)) != 0 ||
        !ip_literal(tmp) || strlen(tmp) >= f->size)
      return false;
    memcpy(dst, tmp, strlen(tmp) + 1);
    return true;
  }
  }
  return false;
}

/* Copies every known argument of @r into @base; a field whose value does
 * not parse (or a string that does not fit) leaves the destination alone. */
static void apply_table(const struct hl_tr064_response *r, void *base,
                        uint32_t *have, const struct field *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (hl_tr064_get(r, t[i].name) == NULL)
      continue;
    if (apply_field(r, &t[i], (char *)base + t[i].off))
      *have |= t[i].bit;
  }
}

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define FLD(st, nm, ty, mem, bt)                                               \
  { nm, ty, offsetof(struct st, mem), sizeof(((struct st *)0)->mem), bt }

void hl_tr064_wan_common_from(const struct hl_tr064_response *r,
                              struct hl_tr064_wan_common *w) {
#define W(nm, ty, mem, bt) FLD(hl_tr064_wan_common, nm, ty, mem, bt)
  static const struct field t[] = {
      W("NewWANAccessType", F_STR, access_type, HL_TR064_WAN_ACCESS_TYPE),
      W("NewX_AVM_DE_WANAccessType", F_STR, access_type,
        HL_TR064_WAN_ACCESS_TYPE),
      W("NewLayer1UpstreamMaxBitRate", F_U64, up_max_bps, HL_TR064_WAN_UP_MAX),
      W("NewLayer1DownstreamMaxBitRate", F_U64, down_max_bps,
        HL_TR064_WAN_DOWN_MAX),
      W("NewPhysicalLinkStatus", F_STR, link_status, HL_TR064_WAN_LINK),
      W("NewTotalBytesSent", F_U32, sent32, HL_TR064_WAN_SENT32),
      W("NewTotalBytesReceived", F_U32, recv32, HL_TR064_WAN_RECV32),
      W("NewByteSendRate", F_U64, send_rate, HL_TR064_WAN_SEND_RATE),
      W("NewByteReceiveRate", F_U64, recv_rate, HL_TR064_WAN_RECV_RATE),
      W("NewX_AVM_DE_TotalBytesSent64", F_U64, sent64, HL_TR064_WAN_SENT64),
      W("NewX_AVM_DE_TotalBytesReceived64", F_U64, recv64, HL_TR064_WAN_RECV64),
      W("NewX_AVM-DE_TotalBytesSent64", F_U64, sent64, HL_TR064_WAN_SENT64),
      W("NewX_AVM-DE_TotalBytesReceived64", F_U64, recv64, HL_TR064_WAN_RECV64),
  };
#undef W
  if (r == NULL || w == NULL)
    return;
  apply_table(r, w, &w->have, t, NFIELDS(t));
  if (w->have & HL_TR064_WAN_LINK)
    w->link_up = strcmp(w->link_status, "Up") == 0;
}

void hl_tr064_wan_conn_from(const struct hl_tr064_response *r,
                            struct hl_tr064_wan_conn *c) {
#define C(nm, ty, mem, bt) FLD(hl_tr064_wan_conn, nm, ty, mem, bt)
  static const struct field t[] = {
      C("NewConnectionStatus", F_STR, status, HL_TR064_CONN_STATUS),
      C("NewUptime", F_U32, uptime, HL_TR064_CONN_UPTIME),
      C("NewExternalIPAddress", F_IP, external_ip, HL_TR064_CONN_EXT_IP),
      C("NewLastConnectionError", F_STR, last_error, HL_TR064_CONN_LAST_ERROR),
  };
#undef C
  if (r == NULL || c == NULL)
    return;
  apply_table(r, c, &c->have, t, NFIELDS(t));
  if (c->have & HL_TR064_CONN_STATUS)
    c->connected = strcmp(c->status, "Connected") == 0;
}

void hl_tr064_dsl_info_from(const struct hl_tr064_response *r,
                            struct hl_tr064_dsl_info *d) {
#define D(nm, ty, mem, bt) FLD(hl_tr064_dsl_info, nm, ty, mem, bt)
  static const struct field t[] = {
      D("NewUpstreamCurrRate", F_KBIT, up_curr_bps, HL_TR064_DSL_UP_CURR),
      D("NewDownstreamCurrRate", F_KBIT, down_curr_bps, HL_TR064_DSL_DOWN_CURR),
      D("NewUpstreamMaxRate", F_KBIT, up_max_bps, HL_TR064_DSL_UP_MAX),
      D("NewDownstreamMaxRate", F_KBIT, down_max_bps, HL_TR064_DSL_DOWN_MAX),
      D("NewUpstreamNoiseMargin", F_TENTH_DB, up_margin_db,
        HL_TR064_DSL_UP_MARGIN),
      D("NewDownstreamNoiseMargin", F_TENTH_DB, down_margin_db,
        HL_TR064_DSL_DOWN_MARGIN),
      D("NewUpstreamAttenuation", F_TENTH_DB, up_atten_db,
        HL_TR064_DSL_UP_ATTEN),
      D("NewDownstreamAttenuation", F_TENTH_DB, down_atten_db,
        HL_TR064_DSL_DOWN_ATTEN),
      D("NewStatus", F_STR, status, HL_TR064_DSL_STATUS),
  };
#undef D
  if (r != NULL && d != NULL)
    apply_table(r, d, &d->have, t, NFIELDS(t));
}

void hl_tr064_dsl_stats_from(const struct hl_tr064_response *r,
                             struct hl_tr064_dsl_stats *s) {
#define S(nm, mem, bt) FLD(hl_tr064_dsl_stats, nm, F_U32, mem, bt)
  static const struct field t[] = {
      S("NewCRCErrors", crc, HL_TR064_DSLS_CRC),
      S("NewATUCCRCErrors", atuc_crc, HL_TR064_DSLS_ATUC_CRC),
      S("NewFECErrors", fec, HL_TR064_DSLS_FEC),
      S("NewATUCFECErrors", atuc_fec, HL_TR064_DSLS_ATUC_FEC),
      S("NewHECErrors", hec, HL_TR064_DSLS_HEC),
      S("NewATUCHECErrors", atuc_hec, HL_TR064_DSLS_ATUC_HEC),
      S("NewErroredSecs", errored_secs, HL_TR064_DSLS_ES),
      S("NewSeverelyErroredSecs", severely_errored_secs, HL_TR064_DSLS_SES),
      S("NewLinkRetrain", link_retrain, HL_TR064_DSLS_RETRAIN),
      S("NewLossOfFraming", loss_of_framing, HL_TR064_DSLS_LOF),
  };
#undef S
  if (r != NULL && s != NULL)
    apply_table(r, s, &s->have, t, NFIELDS(t));
}

void hl_tr064_device_info_from(const struct hl_tr064_response *r,
                               struct hl_tr064_device_info *d) {
#define I(nm, ty, mem, bt) FLD(hl_tr064_device_info, nm, ty, mem, bt)
  static const struct field t[] = {
      I("NewModelName", F_STR, model, HL_TR064_DEV_MODEL),
      I("NewSoftwareVersion", F_STR, software, HL_TR064_DEV_SOFTWARE),
      I("NewHardwareVersion", F_STR, hardware, HL_TR064_DEV_HARDWARE),
      I("NewUpTime", F_U32, uptime, HL_TR064_DEV_UPTIME),
  };
#undef I
  if (r != NULL && d != NULL)
    apply_table(r, d, &d->have, t, NFIELDS(t));
}

void hl_tr064_hosts_from(const struct hl_tr064_response *r,
                         struct hl_tr064_hosts *h) {
  static const struct field t[] = {
      FLD(hl_tr064_hosts, "NewHostNumberOfEntries", F_U32, known,
          HL_TR064_HOSTS_KNOWN),
  };
  if (r != NULL && h != NULL)
    apply_table(r, h, &h->have, t, NFIELDS(t));
}

int hl_tr064_hosts_add_entry(const struct hl_tr064_response *r,
                             struct hl_tr064_hosts *h) {
  bool active = false;
  if (h == NULL)
    return -EINVAL;
  int rc = hl_tr064_get_bool(r, "NewActive", &active);
  if (rc < 0)
    return rc;
  h->active += active;
  h->have |= HL_TR064_HOSTS_ACTIVE;
  return 0;
}

int hl_tr064_host_list_path(const struct hl_tr064_response *r, char *buf,
                            size_t size) {
  int rc = hl_tr064_get_str(r, "NewX_AVM-DE_HostListPath", buf, size);
  if (rc == 0 && !path_ok(buf))
    rc = -EPROTO;
  if (rc < 0 && buf != NULL && size > 0)
    buf[0] = '\0';
  return rc;
}

int hl_tr064_parse_host_list(const char *body, size_t len,
                             struct hl_tr064_hosts *h, char *error,
                             size_t errlen) {
  set_err(error, errlen, "");
  if (h == NULL || (body == NULL && len > 0))
    return -EINVAL;
  xmlDoc *doc = NULL;
  int rc = xml_parse(body != NULL ? body : "", len, &doc, error, errlen);
  if (rc < 0)
    return rc;
  xmlNode *root = xmlDocGetRootElement(doc);
  uint32_t known = 0;
  uint32_t active = 0;
  if (!is_elem(root, "List")) {
    set_err(error, errlen, "no List root");
    rc = -EPROTO;
  }
  for (xmlNode *it = rc == 0 ? root->children : NULL; it != NULL;
       it = it->next) {
    if (!is_elem(it, "Item"))
      continue;
    char *a = text_of(child(it, "Active"));
    if (a == NULL) {
      rc = -ENOMEM;
      break;
    }
    known++;
    active += strcmp(a, "1") == 0;
    free(a);
  }
  xmlFreeDoc(doc);
  if (rc == 0) {
    h->known = known;
    h->active = active;
    h->have |= HL_TR064_HOSTS_KNOWN | HL_TR064_HOSTS_ACTIVE;
  }
  return rc;
}

unsigned hl_tr064_wlan_index(const char *service_type) {
  static const char prefix[] = "urn:dslforum-org:service:WLANConfiguration:";
  size_t n = sizeof(prefix) - 1;
  if (service_type == NULL || strncmp(service_type, prefix, n) != 0)
    return 0;
  char c = service_type[n];
  if (c < '1' || c > '3' || service_type[n + 1] != '\0')
    return 0;
  return (unsigned)(c - '0');
}

int hl_tr064_wlan_from(const struct hl_tr064_response *r, unsigned index,
                       struct hl_tr064_wlan *w) {
  if (w == NULL || index < 1 || index > 3)
    return -EINVAL;
  uint32_t v = 0;
  int rc = hl_tr064_get_u32(r, "NewTotalAssociations", &v);
  if (rc < 0)
    return rc;
  w->assoc[index - 1] = v;
  w->have |= 1u << (index - 1);
  return 0;
}

/* ---- counters ---------------------------------------------------------- */

uint32_t hl_tr064_delta32(uint32_t prev, uint32_t cur) {
  return (uint32_t)(cur - prev);
}

bool hl_tr064_counter32_update(struct hl_tr064_counter32 *c, uint32_t cur,
                               uint64_t max_delta) {
  if (!c->init) {
    c->init = true;
    c->last = cur;
    return false;
  }
  uint32_t d = hl_tr064_delta32(c->last, cur);
  bool reset = max_delta != 0 && cur < c->last && d > max_delta;
  c->total += reset ? cur : d;
  c->last = cur;
  return reset;
}
