/* oracle/engine/model.h - the bigram model of benign DNS labels.
 *
 * Bytes fall into 40 classes: a label boundary, a-z, 0-9, '-', '_' and one
 * class for every other byte. The model counts class-to-class transitions in
 * benign labels, boundaries included (so "ab" gives ^a, ab, b$), and scores a
 * label by the mean log2-probability of its transitions under add-one
 * smoothing: the mean, not the sum, so that short and long labels compare.
 *
 * File format, version 1 (text, so it can be read and diffed):
 *
 *     dnsoracle-bigram 1
 *     classes 40
 *     names <number of training names>
 *     row <c> <40 counts>          one line for each class c = 0..39
 *     checksum <16 hex digits>     FNV-1a 64 over all counts, in row order
 *
 * Class 0 is the boundary, 1-26 a-z, 27-36 0-9, 37 '-', 38 '_', 39 other.
 * Anything else (wrong magic, version, class count, a missing or extra row, a
 * count that is not a number, trailing garbage, a bad checksum) is refused.
 */
#ifndef DNSORACLE_MODEL_H
#define DNSORACLE_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MODEL_CLASSES 40
#define MODEL_VERSION 1

typedef struct model model_t;

/* Returns a new model with all counts zero, or NULL when out of memory. */
model_t *model_new(void);

/* Frees the model; accepts NULL and sets *self_p to NULL. */
void model_destroy(model_t **self_p);

/* Parses a model from `len` bytes of text. Returns the model, or NULL with a
 * one-line reason in err (of size errcap) naming the line. */
model_t *model_parse(const char *text, size_t len, char *err, size_t errcap);

/* Reads and parses the model file at path. Returns NULL with a reason. */
model_t *model_load(const char *path, char *err, size_t errcap);

/* Counts the transitions of one label of `len` lowercase bytes. */
void model_train_label(model_t *self, const uint8_t *label, size_t len);

/* Adds one to the count of training names (recorded in the file). */
void model_count_name(model_t *self);

/* Writes the model in the file format above. Returns 0 or -EIO. */
int model_write(const model_t *self, FILE *out);

/* Number of training names and of transitions counted. */
uint64_t model_names(const model_t *self);
uint64_t model_transitions(const model_t *self);

/* Adds the log2-probabilities of the transitions of one lowercase label to
 * *sum and their number to *pairs. Call model_finish() first. */
void model_score_label(const model_t *self, const uint8_t *label, size_t len, double *sum,
                       size_t *pairs);

/* Computes the log-probability table from the counts; call once after
 * training or loading (model_parse and model_load do it). */
void model_finish(model_t *self);

/* The class of a byte (0 is reserved for the boundary). */
int model_class(uint8_t byte);

#endif
