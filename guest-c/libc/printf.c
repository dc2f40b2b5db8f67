/*
 * printf and friends: one formatter (format) that feeds its output, piece by piece, to a sink;
 * the console sink writes to a FILE, the string sink fills a bounded buffer. See <stdio.h> for the
 * conversions supported and their limits.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/x86.h"

void hkv_stdio_write(FILE *f, const char *s, size_t len); /* stdio.c */
void hkv_stdio_end(FILE *f);

struct sink {
    void (*put)(struct sink *k, const char *s, size_t n);
    FILE *file;   /* console sink */
    char *buf;    /* string sink: buf[0..size-1] */
    size_t size;
    size_t total; /* bytes produced so far, whether or not they fit */
};

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

struct spec {
    int flags;
    int width;
    int prec; /* -1: none given */
    int length; /* 0, 'H' (hh), 'h', 'l', 'L' (ll), 'z' */
};

static void out(struct sink *k, const char *s, size_t n)
{
    k->put(k, s, n);
    k->total += n;
}

static void pad(struct sink *k, char c, int n)
{
    char chunk[16];
    memset(chunk, c, sizeof chunk);
    for (; n > 0; n -= (int)sizeof chunk)
        out(k, chunk, n < (int)sizeof chunk ? (size_t)n : sizeof chunk);
}

/* One field: [spaces] prefix [zeros] body [spaces], honouring width, '-' and '0'. */
static void field(struct sink *k, const struct spec *sp, const char *prefix, int zeros,
                  const char *body, int blen)
{
    int plen = (int)strlen(prefix);
    int fill = sp->width - plen - zeros - blen;
    if (fill < 0)
        fill = 0;
    if (!(sp->flags & F_LEFT) && !(sp->flags & F_ZERO))
        pad(k, ' ', fill);
    out(k, prefix, (size_t)plen);
    if (!(sp->flags & F_LEFT) && (sp->flags & F_ZERO))
        pad(k, '0', fill);
    pad(k, '0', zeros);
    out(k, body, (size_t)blen);
    if (sp->flags & F_LEFT)
        pad(k, ' ', fill);
}

/*
 * Digits of v in base, written backwards from end; returns the start. Values that fit 32 bits
 * use 32-bit division: on i686 a 64-bit one is a libgcc call, and this is printf's inner loop.
 */
static char *digits(char *end, uint64_t v, unsigned base, int upper)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    if (v <= UINT32_MAX) {
        uint32_t w = (uint32_t)v;
        do {
            *--end = set[w % base];
            w /= base;
        } while (w != 0);
        return end;
    }
    do {
        *--end = set[v % base];
        v /= base;
    } while (v != 0);
    return end;
}

static void integer(struct sink *k, struct spec sp, uint64_t v, int neg, unsigned base, int upper,
                    const char *prefix)
{
    char buf[24];
    char *end = buf + sizeof buf;
    char *start = digits(end, v, base, upper);
    int n = (int)(end - start);
    if (sp.prec == 0 && v == 0)
        n = 0; /* "%.0d" of 0 prints nothing */
    if (sp.prec >= 0)
        sp.flags &= ~F_ZERO;
    int zeros = sp.prec > n ? sp.prec - n : 0;
    if (base == 8 && (sp.flags & F_ALT) && zeros == 0 && (n == 0 || *start != '0'))
        zeros = 1;
    if (neg)
        prefix = "-";
    else if (base == 10 && (sp.flags & F_PLUS))
        prefix = "+";
    else if (base == 10 && (sp.flags & F_SPACE))
        prefix = " ";
    field(k, &sp, prefix, zeros, end - n, n);
}

static int is_inf(double x) { return x - x != 0 && x == x; }

/* %f: see <stdio.h> for the range printed exactly. */
static void fixed(struct sink *k, struct spec sp, double x)
{
    const char *sign = x < 0 || (x == 0 && 1 / x < 0) ? "-"
                       : (sp.flags & F_PLUS)          ? "+"
                       : (sp.flags & F_SPACE)         ? " "
                                                      : "";
    if (x < 0)
        x = -x;
    if (x != x || is_inf(x)) {
        sp.flags &= ~F_ZERO;
        field(k, &sp, sign, 0, x != x ? "nan" : "inf", 3);
        return;
    }
    int prec = sp.prec < 0 ? 6 : sp.prec;
    int exact = prec > 17 ? 17 : prec; /* digits a double can carry; the rest print as 0 */
    int tens = 0; /* x was divided by 10^tens to fit a uint64 */
    while (x >= 1e18) {
        x /= 10;
        tens++;
    }
    uint64_t ip = (uint64_t)x, scale = 1;
    for (int i = 0; i < exact; i++)
        scale *= 10;
    uint64_t fp = 0; /* x >= 1e18 has no fraction a double can hold */
    if (tens > 0) {
        ip = (uint64_t)(x + 0.5);
    } else {
        double fscaled = (x - (double)ip) * (double)scale + 0.5;
        fp = fscaled >= (double)scale ? scale : (uint64_t)fscaled;
    }
    if (fp >= scale) { /* rounding carried into the integer part */
        fp -= scale;
        ip++;
    }
    char buf[64];
    char *end = buf + sizeof buf;
    char *p = end;
    if (exact > 0) {
        char *f = digits(end, fp, 10, 0);
        while (end - f < exact)
            *--f = '0';
        p = f;
    }
    if (prec > 0 || (sp.flags & F_ALT))
        *--p = '.';
    p = digits(p, ip, 10, 0);
    /* Integer part first, then the zeros standing for divided-out tens and excess precision. */
    int ilen = (int)(end - p) - exact - (prec > 0 || (sp.flags & F_ALT));
    int blen = (int)(end - p) + tens + (prec - exact);
    int fill = sp.width - (int)strlen(sign) - blen;
    if (!(sp.flags & F_LEFT) && !(sp.flags & F_ZERO))
        pad(k, ' ', fill);
    out(k, sign, strlen(sign));
    if (!(sp.flags & F_LEFT) && (sp.flags & F_ZERO))
        pad(k, '0', fill);
    out(k, p, (size_t)ilen);
    pad(k, '0', tens);
    out(k, p + ilen, (size_t)((end - p) - ilen));
    pad(k, '0', prec - exact);
    if (sp.flags & F_LEFT)
        pad(k, ' ', fill);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    sp->flags = 0;
    for (;; f++) {
        if (*f == '-') sp->flags |= F_LEFT;
        else if (*f == '0') sp->flags |= F_ZERO;
        else if (*f == '+') sp->flags |= F_PLUS;
        else if (*f == ' ') sp->flags |= F_SPACE;
        else if (*f == '#') sp->flags |= F_ALT;
        else break;
    }
    sp->width = 0;
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->flags |= F_LEFT;
            sp->width = sp->width == INT32_MIN ? INT32_MAX : -sp->width;
        }
        f++;
    } else {
        while (*f >= '0' && *f <= '9' && sp->width < 100000)
            sp->width = sp->width * 10 + (*f++ - '0');
    }
    sp->prec = -1;
    if (*f == '.') {
        f++;
        sp->prec = 0;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int); /* negative: as if none were given */
            if (sp->prec < 0)
                sp->prec = -1;
            f++;
        } else {
            while (*f >= '0' && *f <= '9' && sp->prec < 100000)
                sp->prec = sp->prec * 10 + (*f++ - '0');
        }
    }
    sp->length = 0;
    if (f[0] == 'h' && f[1] == 'h') sp->length = 'H', f += 2;
    else if (f[0] == 'l' && f[1] == 'l') sp->length = 'L', f += 2;
    else if (*f == 'h' || *f == 'l' || *f == 'z' || *f == 'j' || *f == 't') sp->length = *f++;
    if (sp->flags & F_LEFT)
        sp->flags &= ~F_ZERO;
    return f;
}

static int64_t signed_arg(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H': return (signed char)va_arg(*ap, int);
    case 'h': return (short)va_arg(*ap, int);
    case 'l': return va_arg(*ap, long);
    case 'L': case 'j': return va_arg(*ap, long long);
    case 'z': case 't': return va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, int);
    }
}

static uint64_t unsigned_arg(const struct spec *sp, va_list *ap)
{
    switch (sp->length) {
    case 'H': return (unsigned char)va_arg(*ap, unsigned);
    case 'h': return (unsigned short)va_arg(*ap, unsigned);
    case 'l': return va_arg(*ap, unsigned long);
    case 'L': case 'j': return va_arg(*ap, unsigned long long);
    case 'z': case 't': return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned);
    }
}

static void convert(struct sink *k, char c, struct spec *sp, va_list *ap)
{
    char ch;
    switch (c) {
    case 'd': case 'i': {
        int64_t v = signed_arg(sp, ap);
        integer(k, *sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, 0, "");
        break;
    }
    case 'u': integer(k, *sp, unsigned_arg(sp, ap), 0, 10, 0, ""); break;
    case 'o': integer(k, *sp, unsigned_arg(sp, ap), 0, 8, 0, ""); break;
    case 'x': case 'X': {
        uint64_t v = unsigned_arg(sp, ap);
        const char *pre = (sp->flags & F_ALT) && v ? (c == 'x' ? "0x" : "0X") : "";
        integer(k, *sp, v, 0, 16, c == 'X', pre);
        break;
    }
    case 'p': integer(k, *sp, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, "0x"); break;
    case 'c':
        ch = (char)va_arg(*ap, int);
        sp->flags &= ~F_ZERO;
        field(k, sp, "", 0, &ch, 1);
        break;
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (s == 0)
            s = "(null)";
        size_t n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
        sp->flags &= ~F_ZERO;
        field(k, sp, "", 0, s, (int)n);
        break;
    }
    case 'f': case 'F': fixed(k, *sp, va_arg(*ap, double)); break;
    case '%': out(k, "%", 1); break;
    default: /* unknown conversion: print it as written, so the mistake is visible */
        out(k, "%", 1);
        if (c)
            out(k, &c, 1);
        break;
    }
}

static int format(struct sink *k, const char *f, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    while (*f) {
        const char *lit = f;
        while (*f && *f != '%')
            f++;
        if (f > lit)
            out(k, lit, (size_t)(f - lit));
        if (*f != '%')
            break;
        struct spec sp;
        f = parse_spec(f + 1, &sp, &aq);
        char c = *f;
        if (c)
            f++;
        convert(k, c, &sp, &aq);
    }
    va_end(aq);
    return k->total > INT32_MAX ? INT32_MAX : (int)k->total;
}

static void put_file(struct sink *k, const char *s, size_t n) { hkv_stdio_write(k->file, s, n); }

static void put_string(struct sink *k, const char *s, size_t n)
{
    if (k->size == 0 || k->total >= k->size - 1)
        return;
    size_t room = k->size - 1 - k->total;
    memcpy(k->buf + k->total, s, n < room ? n : room);
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    /* Lines stay whole without a lock: every thread has its own buffers (stdio.c). */
    struct sink k = {put_file, f, 0, 0, 0};
    int n = format(&k, fmt, ap);
    hkv_stdio_end(f);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink k = {put_string, 0, buf, size, 0};
    int n = format(&k, fmt, ap);
    if (size > 0)
        buf[k.total < size ? k.total : size - 1] = '\0';
    return n;
}

int vsprintf(char *buf, const char *fmt, va_list ap) { return vsnprintf(buf, SIZE_MAX, fmt, ap); }
int vprintf(const char *fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

#define VARIADIC(call)          \
    va_list ap;                 \
    va_start(ap, fmt);          \
    int n = call;               \
    va_end(ap);                 \
    return n

int printf(const char *fmt, ...) { VARIADIC(vfprintf(stdout, fmt, ap)); }
int fprintf(FILE *f, const char *fmt, ...) { VARIADIC(vfprintf(f, fmt, ap)); }
int sprintf(char *buf, const char *fmt, ...) { VARIADIC(vsnprintf(buf, SIZE_MAX, fmt, ap)); }
int snprintf(char *buf, size_t size, const char *fmt, ...) { VARIADIC(vsnprintf(buf, size, fmt, ap)); }
