/* <stdbool.h> for the hermitkv guest (C11): bool, true, false. */
#ifndef _HKV_STDBOOL_H
#define _HKV_STDBOOL_H

#define bool _Bool
#define true 1
#define false 0
#define __bool_true_false_are_defined 1

#endif
