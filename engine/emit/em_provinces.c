/*
 * em_provinces — the 31 provincial-level divisions of the mainland (GB/T
 * 2260 codes, the digits 3-4 of a school code), with their names and a
 * place on report.html's tile-grid map.
 *
 * The grid is 7 columns by 8 rows, one tile per province, placed so that
 * neighbours stay roughly neighbours (west left, north up); it is a map-like
 * chart, not a map: every province gets the same area, so small populous
 * provinces are as visible as large empty ones.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "em_internal.h"

static const em_province kProvinces[] = {
    {11, "北京", "京", "Beijing", 4, 2},      {12, "天津", "津", "Tianjin", 5, 2},
    {13, "河北", "冀", "Hebei", 4, 3},        {14, "山西", "晋", "Shanxi", 3, 2},
    {15, "内蒙古", "蒙", "Inner Mongolia", 3, 1}, {21, "辽宁", "辽", "Liaoning", 5, 1},
    {22, "吉林", "吉", "Jilin", 6, 1},        {23, "黑龙江", "黑", "Heilongjiang", 6, 0},
    {31, "上海", "沪", "Shanghai", 6, 4},     {32, "江苏", "苏", "Jiangsu", 5, 4},
    {33, "浙江", "浙", "Zhejiang", 5, 5},     {34, "安徽", "皖", "Anhui", 4, 4},
    {35, "福建", "闽", "Fujian", 4, 6},       {36, "江西", "赣", "Jiangxi", 4, 5},
    {37, "山东", "鲁", "Shandong", 5, 3},     {41, "河南", "豫", "Henan", 3, 3},
    {42, "湖北", "鄂", "Hubei", 3, 4},        {43, "湖南", "湘", "Hunan", 3, 5},
    {44, "广东", "粤", "Guangdong", 3, 6},    {45, "广西", "桂", "Guangxi", 2, 6},
    {46, "海南", "琼", "Hainan", 3, 7},       {50, "重庆", "渝", "Chongqing", 2, 4},
    {51, "四川", "川", "Sichuan", 1, 4},      {52, "贵州", "贵", "Guizhou", 2, 5},
    {53, "云南", "云", "Yunnan", 1, 5},       {54, "西藏", "藏", "Xizang", 0, 3},
    {61, "陕西", "陕", "Shaanxi", 2, 3},      {62, "甘肃", "甘", "Gansu", 1, 2},
    {63, "青海", "青", "Qinghai", 0, 2},      {64, "宁夏", "宁", "Ningxia", 2, 2},
    {65, "新疆", "新", "Xinjiang", 0, 1},
};

size_t em_provinceCount(void)
{
    return sizeof kProvinces / sizeof kProvinces[0];
}

const em_province *em_provinceAt(size_t i)
{
    return i < em_provinceCount() ? &kProvinces[i] : NULL;
}

const em_province *em_provinceByCode(int code)
{
    for (size_t i = 0; i < em_provinceCount(); i++)
        if (kProvinces[i].code == code) return &kProvinces[i];
    return NULL;
}

const char *em_provinceKey(int index, char out[12])
{
    if (index == EM_PROVINCES - 1) strcpy(out, "_invalid");
    else snprintf(out, 12, "%02d", index);
    return out;
}
