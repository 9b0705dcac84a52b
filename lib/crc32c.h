/* crc32c.h: CRC-32C (Castagnoli), the checksum of the queue's records. */
#ifndef CRC32C_H
#define CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * The CRC-32C of iSCSI, ext4 and Snappy framing (reflected polynomial
 * 0x82F63B78, initial value and final xor 0xFFFFFFFF).  It chains: pass 0
 * to start, then the previous result, so crc32c(crc32c(0, a), b) is the
 * CRC of a followed by b.  crc32c(0, "123456789", 9) is 0xE3069283.
 */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);
/* The same by table lookups only, whatever the CPU offers: crc32c() uses
 * the SSE4.2 crc32 instruction when the CPU has it (checked at run time). */
uint32_t crc32c_table_only(uint32_t crc, const void *data, size_t len);

#endif
