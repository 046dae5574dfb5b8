/* The objective and its gradient for bbb_gradient() (objective.c, double
 * precision). */
#ifndef BBB_OBJECTIVE_H
#define BBB_OBJECTIVE_H

#include "trainer.h"

double objective_eval(bbb_trainer *tr, double *theta, const double *noise,
                      int rows, double kl_w, double *nll, double *kl);

#endif
