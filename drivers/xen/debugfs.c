// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "xen" directory at the root of debugfs, which Xen drivers share.
 */

#include <linux/debugfs.h>
#include <linux/init.h>

#include <xen/xen.h>

/**
 * xen_debugfs_dir - the "xen" directory at the root of debugfs
 *
 * The first call creates the directory; later calls return it.  It stays
 * for as long as the kernel runs.  For built-in init code only: the
 * callers are initcalls, which run one after the other, so no lock is
 * needed.
 *
 * Return: the directory, or an ERR_PTR() that debugfs calls take as a
 * parent and then do nothing.
 */
struct dentry *__init xen_debugfs_dir(void)
{
	static struct dentry *dir;

	if (!dir)
		dir = debugfs_create_dir("xen", NULL);
	return dir;
}
