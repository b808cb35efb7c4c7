/* Usage-log JSON lines split, parsed and checked in one pass, without the GIL.
 *
 * The same contract as hub/usage_parse.py's DuckDB fast path, whose LINE regex this follows
 * token for token: a line is taken ("fast") only when its outcome is provably the one the
 * line-by-line rules (hub.usage_files.validate) give it. Every other line -- bad, odd or merely
 * unusual -- is left to those rules, which give it its reason. Nothing here decides a reason.
 *
 * A fast line is a JSON object of printable ASCII (no escapes), spaces only between tokens, no
 * field of ours twice, whose fields of ours are strings (text: no space at either end), plain
 * numbers or strings of one, or null, and whose other fields are scalars or flat arrays and
 * objects of scalars. Its timestamp is an RFC 3339 time within [1900, latest], a zone required
 * unless zone-less times are UTC; it names a customer (or an anonymous id) and an event; its
 * numbers lie in [0, max_number] and its count is a whole number in [1, max_count].
 *
 * Every read is bounded by the line's end: the input is hostile by assumption.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__APPLE__)
#include <xlocale.h>
#endif
#define OPENSSL_SUPPRESS_DEPRECATED  /* SHA1_Init & co.: direct, where SHA1() fetches through EVP per call */
#include <openssl/sha.h>

#define FAST_MAX_BYTES 1000
/* The shortest line that can be taken names a time (19 characters), an event and a customer:
 * {"timestamp":"2026-11-20T10:00:00","event":"e","customer_id":"c"} is 65 bytes. */
#define MIN_FAST_BYTES 48
#define NTEXT 6   /* customer_id, event, status, user_id, anonymous_id, source */
#define NNUM 4    /* bytes, latency_ms, cost, count */
#define F_TIMESTAMP 100

static locale_t c_locale;  /* strtod reads '.' whatever locale the process set */

typedef struct {
    const char *p;
    const char *e;
} cursor;

static int is_str_char(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static void spaces(cursor *c) { while (c->p < c->e && *c->p == ' ') c->p++; }
static int peek(cursor *c, char ch) { return c->p < c->e && *c->p == ch; }

static int string(cursor *c, const char **s, Py_ssize_t *n) {
    if (!peek(c, '"')) return 0;
    const char *start = ++c->p;
    while (c->p < c->e && is_str_char((unsigned char)*c->p)) c->p++;
    if (!peek(c, '"')) return 0;
    *s = start;
    *n = c->p - start;
    c->p++;
    return 1;
}

/* JSON's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number_token(cursor *c) {
    if (peek(c, '-')) c->p++;
    if (c->p >= c->e) return 0;
    if (*c->p == '0') {
        c->p++;
    } else if (*c->p >= '1' && *c->p <= '9') {
        while (c->p < c->e && is_digit((unsigned char)*c->p)) c->p++;
    } else {
        return 0;
    }
    if (peek(c, '.')) {
        c->p++;
        if (c->p >= c->e || !is_digit((unsigned char)*c->p)) return 0;
        while (c->p < c->e && is_digit((unsigned char)*c->p)) c->p++;
    }
    if (c->p < c->e && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->e && (*c->p == '+' || *c->p == '-')) c->p++;
        if (c->p >= c->e || !is_digit((unsigned char)*c->p)) return 0;
        while (c->p < c->e && is_digit((unsigned char)*c->p)) c->p++;
    }
    return 1;
}

static int literal(cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->e - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

static int scalar(cursor *c) {
    const char *s;
    Py_ssize_t n;
    if (peek(c, '"')) return string(c, &s, &n);
    if (literal(c, "true") || literal(c, "false") || literal(c, "null")) return 1;
    return number_token(c);
}

/* A scalar, or an array or object of scalars (no deeper). */
static int flat_value(cursor *c) {
    const char *s;
    Py_ssize_t n;
    if (peek(c, '[')) {
        c->p++;
        spaces(c);
        if (peek(c, ']')) { c->p++; return 1; }
        for (;;) {
            if (!scalar(c)) return 0;
            spaces(c);
            if (peek(c, ']')) { c->p++; return 1; }
            if (!peek(c, ',')) return 0;
            c->p++;
            spaces(c);
        }
    }
    if (peek(c, '{')) {
        c->p++;
        spaces(c);
        if (peek(c, '}')) { c->p++; return 1; }
        for (;;) {
            if (!string(c, &s, &n)) return 0;
            spaces(c);
            if (!peek(c, ':')) return 0;
            c->p++;
            spaces(c);
            if (!scalar(c)) return 0;
            spaces(c);
            if (peek(c, '}')) { c->p++; return 1; }
            if (!peek(c, ',')) return 0;
            c->p++;
            spaces(c);
        }
    }
    return scalar(c);
}

/* The field a key names: 0..5 text, 6..9 numbers, F_TIMESTAMP, or -1 for any other key. */
static int field_of(const char *s, Py_ssize_t n) {
    static const char *const names[] = {"customer_id", "event", "status", "user_id", "anonymous_id", "source",
                                        "bytes", "latency_ms", "cost", "count", "timestamp"};
    static const Py_ssize_t sizes[] = {11, 5, 6, 7, 12, 6, 5, 10, 4, 5, 9};
    for (int i = 0; i < 11; i++) {
        if (n == sizes[i] && s[0] == names[i][0] && memcmp(s, names[i], n) == 0) return i == 10 ? F_TIMESTAMP : i;
    }
    return -1;
}

/* A number token (already checked against JSON's grammar) as the nearest double: exact integer
 * arithmetic when the digits fit in 2^53 and the power of ten is exact (one correctly rounded
 * division: Clinger's fast path), else strtod in the C locale. */
static double number_value(const char *s, Py_ssize_t n) {
    static const double tens[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    Py_ssize_t i = 0;
    int negative = s[0] == '-';
    i += negative;
    uint64_t mantissa = 0;
    int digits = 0, fraction = -1;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch == '.') { fraction = 0; continue; }
        if (ch < '0' || ch > '9') break;  /* an exponent: the slow way */
        mantissa = mantissa * 10 + (uint64_t)(ch - '0');
        if (mantissa) digits++;
        if (fraction >= 0) fraction++;
        if (digits > 15) break;
    }
    if (i == n && (fraction < 0 || fraction <= 22)) {
        double value = (double)mantissa / tens[fraction < 0 ? 0 : fraction];
        return negative ? -value : value;
    }
    char buffer[80];
    memcpy(buffer, s, n);
    buffer[n] = 0;
    return strtod_l(buffer, NULL, c_locale);
}

static int two(const char *s) {
    if (!is_digit((unsigned char)s[0]) || !is_digit((unsigned char)s[1])) return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int64_t days_from_civil(int64_t y, int m, int d) {  /* Howard Hinnant's algorithm */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* YYYY-MM-DD[T ]HH:MM:SS(.f{1,6})?(Z|[+-]HH:MM)? -- the form both datetime.fromisoformat and
 * DuckDB read alike, hours 00-23, minutes and seconds 00-59 -- as microseconds since the epoch
 * (UTC). 0 when it is not of that form or not a real date. */
static int timestamp(const char *s, Py_ssize_t n, int64_t *out, int *zoned) {
    if (n < 19) return 0;
    for (int i = 0; i < 4; i++) if (!is_digit((unsigned char)s[i])) return 0;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':') return 0;
    int month = two(s + 5), day = two(s + 8), hour = two(s + 11), minute = two(s + 14), second = two(s + 17);
    if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
        second > 59)
        return 0;
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > month_days[month - 1] + (month == 2 && leap)) return 0;
    Py_ssize_t i = 19;
    int64_t micros = 0;
    if (i < n && s[i] == '.') {
        i++;
        int digits = 0;
        while (i < n && is_digit((unsigned char)s[i]) && digits < 7) { micros = micros * 10 + (s[i] - '0'); i++; digits++; }
        if (digits == 0 || digits > 6) return 0;
        for (; digits < 6; digits++) micros *= 10;
    }
    int64_t offset = 0;
    *zoned = 0;
    if (i < n) {
        if (s[i] == 'Z' && i + 1 == n) {
            *zoned = 1;
        } else if ((s[i] == '+' || s[i] == '-') && i + 6 == n && s[i + 3] == ':') {
            int oh = two(s + i + 1), om = two(s + i + 4);
            if (oh < 0 || oh > 23 || om < 0 || om > 59) return 0;
            offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
            *zoned = 1;
        } else {
            return 0;
        }
    }
    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
    *out = seconds * 1000000 + micros;
    return 1;
}

typedef struct {
    double max_number, max_count;
    int64_t earliest, latest;  /* microseconds since the epoch, inclusive */
    int naive_utc;
} rules;

/* One line (without its newline): 1 and its values when it is fast, else 0. */
static int parse_line(const char *p, const char *e, const rules *r, int64_t *text_off, int32_t *text_len,
                      double *numbers, uint8_t *has_number, int64_t *event_at, const char *base) {
    cursor c = {p, e};
    unsigned seen = 0;
    int has_ts = 0, zoned = 0;
    for (int i = 0; i < NTEXT; i++) { text_off[i] = 0; text_len[i] = -1; }
    for (int i = 0; i < NNUM; i++) { numbers[i] = 0.0; has_number[i] = 0; }
    if (!peek(&c, '{')) return 0;
    c.p++;
    spaces(&c);
    if (!peek(&c, '}')) {
        for (;;) {
            const char *key, *s;
            Py_ssize_t kn, n;
            if (!string(&c, &key, &kn)) return 0;
            spaces(&c);
            if (!peek(&c, ':')) return 0;
            c.p++;
            spaces(&c);
            int f = field_of(key, kn);
            if (f >= 0) {
                unsigned bit = 1u << (f == F_TIMESTAMP ? 11 : f);
                if (seen & bit) return 0;  /* repeated: Python reads the last, leave it to the rules */
                seen |= bit;
            }
            if (f < 0) {
                if (!flat_value(&c)) return 0;
            } else if (literal(&c, "null")) {
                /* null: missing */
            } else if (f < NTEXT) {
                if (!string(&c, &s, &n)) return 0;
                if (n > 0 && (s[0] == ' ' || s[n - 1] == ' ')) return 0;  /* trimming would change it */
                if (n > 0) { text_off[f] = s - base; text_len[f] = (int32_t)n; }
            } else if (f == F_TIMESTAMP) {
                if (!string(&c, &s, &n) || !timestamp(s, n, event_at, &zoned)) return 0;
                has_ts = 1;
            } else {  /* a number, or a string of one (at most 64 characters: the rules' bound) */
                const char *start = c.p;
                Py_ssize_t digits;
                if (peek(&c, '"')) {
                    if (!string(&c, &s, &n) || n == 0 || n > 64) return 0;
                    cursor inner = {s, s + n};
                    if (!number_token(&inner) || inner.p != inner.e) return 0;
                    start = s;
                    digits = n;
                } else {
                    if (!number_token(&c)) return 0;
                    digits = c.p - start;
                }
                if (digits >= 80) return 0;  /* no real figure is that long */
                double value = number_value(start, digits);
                if (!isfinite(value) || fabs(value) >= 1e300) return 0;
                numbers[f - NTEXT] = value;
                has_number[f - NTEXT] = 1;
            }
            spaces(&c);
            if (peek(&c, '}')) break;
            if (!peek(&c, ',')) return 0;
            c.p++;
            spaces(&c);
        }
    }
    c.p++;
    if (c.p != c.e) return 0;
    /* The rules' checks. */
    if (!has_ts || (!zoned && !r->naive_utc)) return 0;
    if (*event_at < r->earliest || *event_at > r->latest) return 0;
    if (text_len[0] < 0 && text_len[4] < 0) return 0;  /* no customer, no anonymous id */
    if (text_len[1] < 0) return 0;                     /* no event */
    for (int i = 0; i < 3; i++) {
        if (has_number[i] && !(numbers[i] >= 0 && numbers[i] <= r->max_number)) return 0;
    }
    if (has_number[3]) {
        double count = numbers[3];
        if (!(count >= 1 && count == floor(count) && count <= r->max_count)) return 0;
    } else {
        numbers[3] = 1.0;
        has_number[3] = 1;
    }
    return 1;
}

/* An Arrow string view (16 bytes) of s[0:n] within base: inline when at most 12 bytes. */
static void string_view(uint8_t *out, const char *base, const char *s, int32_t n) {
    memset(out, 0, 16);
    memcpy(out, &n, 4);
    if (n <= 12) {
        memcpy(out + 4, s, n);
    } else {
        int32_t offset = (int32_t)(s - base);
        memcpy(out + 4, s, 4);
        memcpy(out + 12, &offset, 4);  /* buffer index 0 (bytes 8..11) is left zero */
    }
}

/* The event key: the line's SHA-1, its first 20 hex digits, ':' and the line's number. */
static int32_t event_key(char *out, const char *line, Py_ssize_t n, long long number) {
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA_CTX context;
    SHA1_Init(&context);
    SHA1_Update(&context, line, (size_t)n);
    SHA1_Final(digest, &context);
    for (int i = 0; i < 10; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[20] = ':';
    char digits[24];
    int k = 0;
    do { digits[k++] = (char)('0' + number % 10); number /= 10; } while (number > 0);
    for (int i = 0; i < k; i++) out[21 + i] = digits[k - 1 - i];
    return 21 + k;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer block;
    long long first_line, max_line_bytes, earliest, latest;
    double max_number, max_count;
    int naive_utc;
    if (!PyArg_ParseTuple(args, "y*LLddLLp", &block, &first_line, &max_line_bytes, &max_number, &max_count,
                          &earliest, &latest, &naive_utc))
        return NULL;
    const char *data = block.buf;
    Py_ssize_t size = block.len;
    if (size >= INT32_MAX) {
        PyBuffer_Release(&block);
        PyErr_SetString(PyExc_ValueError, "a block is read whole: at most 2 GiB");
        return NULL;
    }
    Py_ssize_t lines = 0;
    Py_BEGIN_ALLOW_THREADS
    for (const char *q = data; q < data + size;) {
        const char *nl = memchr(q, '\n', data + size - q);
        lines++;
        q = nl ? nl + 1 : data + size;
    }
    Py_END_ALLOW_THREADS
    /* Room for the lines that can be taken: each is at least MIN_FAST_BYTES long, so a block of
     * blank or tiny lines (hostile, or just odd) costs its spans, not a row of columns per line. */
    Py_ssize_t rows = size / MIN_FAST_BYTES + 1;
    if (rows > lines) rows = lines;
    Py_ssize_t bitmap = (rows + 7) / 8;
    /* Per line: start and length, taken or not. Per taken line, in order (the first `taken` rows):
     * its number, time, the text fields' string views and validity bitmaps, the numbers and theirs,
     * and its key (offsets, text). */
    PyObject *out[10] = {
        PyBytes_FromStringAndSize(NULL, lines * 2 * (Py_ssize_t)sizeof(int64_t)),
        PyBytes_FromStringAndSize(NULL, lines),
        PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(int64_t)),
        PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(int64_t)),
        PyBytes_FromStringAndSize(NULL, NTEXT * rows * 16),
        PyBytes_FromStringAndSize(NULL, NTEXT * bitmap),
        PyBytes_FromStringAndSize(NULL, NNUM * rows * (Py_ssize_t)sizeof(double)),
        PyBytes_FromStringAndSize(NULL, NNUM * bitmap),
        PyBytes_FromStringAndSize(NULL, (rows + 1) * (Py_ssize_t)sizeof(int32_t)),
        PyBytes_FromStringAndSize(NULL, rows * 44),  /* 20 + 1 + at most 20 digits */
    };
    for (int k = 0; k < 10; k++) {
        if (out[k] == NULL) {
            for (int j = 0; j < 10; j++) Py_XDECREF(out[j]);
            PyBuffer_Release(&block);
            return NULL;
        }
    }
    int64_t *span = (int64_t *)PyBytes_AS_STRING(out[0]);
    uint8_t *taken_flags = (uint8_t *)PyBytes_AS_STRING(out[1]);
    int64_t *line_no = (int64_t *)PyBytes_AS_STRING(out[2]);
    int64_t *event_at = (int64_t *)PyBytes_AS_STRING(out[3]);
    uint8_t *views = (uint8_t *)PyBytes_AS_STRING(out[4]);
    uint8_t *text_valid = (uint8_t *)PyBytes_AS_STRING(out[5]);
    double *numbers = (double *)PyBytes_AS_STRING(out[6]);
    uint8_t *number_valid = (uint8_t *)PyBytes_AS_STRING(out[7]);
    int32_t *key_offsets = (int32_t *)PyBytes_AS_STRING(out[8]);
    char *keys = PyBytes_AS_STRING(out[9]);
    key_offsets[0] = 0;
    rules r = {max_number, max_count, earliest, latest, naive_utc};
    Py_ssize_t taken = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(text_valid, 0, NTEXT * bitmap);
    memset(number_valid, 0, NNUM * bitmap);
    const char *q = data;
    for (Py_ssize_t i = 0; i < lines; i++) {
        const char *nl = memchr(q, '\n', data + size - q);
        const char *end = nl ? nl + 1 : data + size;
        Py_ssize_t length = end - q, text = length - (nl != NULL);
        if (text > 0 && q[text - 1] == '\r') text--;
        span[i] = q - data;
        span[lines + i] = length;
        int64_t off[NTEXT], at = 0;
        int32_t len[NTEXT];
        double num[NNUM];
        uint8_t has[NNUM];
        int good = length <= max_line_bytes + 1 && text <= FAST_MAX_BYTES &&
                   !(text > 0 && q[text - 1] == '\r') &&                       /* a second CR: the rules strip it */
                   !(i == 0 && first_line == 1 && length >= 3 && memcmp(q, "\xef\xbb\xbf", 3) == 0) &&
                   taken < rows && parse_line(q, q + text, &r, off, len, num, has, &at, data);
        taken_flags[i] = (uint8_t)good;
        if (good) {
            Py_ssize_t row = taken++;
            line_no[row] = first_line + i;
            event_at[row] = at;
            key_offsets[row + 1] = key_offsets[row] + event_key(keys + key_offsets[row], q, text, first_line + i);
            for (int f = 0; f < NTEXT; f++) {
                uint8_t *view = views + (f * rows + row) * 16;
                if (len[f] >= 0) {
                    string_view(view, data, data + off[f], len[f]);
                    text_valid[f * bitmap + row / 8] |= (uint8_t)(1u << (row % 8));
                } else {
                    memset(view, 0, 16);
                }
            }
            for (int f = 0; f < NNUM; f++) {
                numbers[f * rows + row] = num[f];
                if (has[f]) number_valid[f * bitmap + row / 8] |= (uint8_t)(1u << (row % 8));
            }
        }
        q = end;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&block);
    return Py_BuildValue("(nnNNNNNNNNNN)", taken, rows, out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7],
                         out[8], out[9]);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(block, first_line, max_line_bytes, max_number, max_count, earliest_us, latest_us, naive_utc)\n"
     "-> (taken, rows, spans, taken_flags, line_no, event_at, views, text_valid, numbers, number_valid,\n"
     "    key_offsets, keys):\n"
     "raw buffers, the per-taken-line ones filled for their first `taken` rows (hub/usage_parse.py),\n"
     "then the event keys' offsets and text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_usage_scan", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__usage_scan(void) {
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c_locale) return PyErr_NoMemory();
    return PyModule_Create(&module);
}
