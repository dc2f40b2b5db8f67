/*
 * <errno.h> for the hermitkv guest: the error numbers the pthread functions return (Linux's
 * values). There is no errno variable: no function here reports through it.
 */
#ifndef _HKV_ERRNO_H
#define _HKV_ERRNO_H

#define EPERM 1
#define ESRCH 3
#define EINTR 4
#define EAGAIN 11
#define ENOMEM 12
#define EBUSY 16
#define EINVAL 22
#define EDEADLK 35
#define ETIMEDOUT 110

#endif
