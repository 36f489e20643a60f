/*
 * id_public — the public ID functions of xjdedup.h, thin wrappers over the
 * normalize and check stages so the CLI's `xjdedup id` and a scan judge a
 * number the same way.
 */
#include "xjdedup.h"

#include "idcheck.h"

XJ_API char xj_idCheckChar(const char digits17[17])
{
    return id_checkChar(digits17);
}
