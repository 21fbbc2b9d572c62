"""Word lists for the demo bank: a county in central China, its towns, villages, people and shops.

Everything here is invented; the town names are common Chinese place-name patterns.
"""

from __future__ import annotations

# (Chinese name, pinyin) — the first is the county seat, where the head office stands.
TOWNS: tuple[tuple[str, str], ...] = (
    ("城关镇", "Chengguan"),
    ("青石镇", "Qingshi"),
    ("白沙镇", "Baisha"),
    ("河口镇", "Hekou"),
    ("枫林镇", "Fenglin"),
    ("桃源镇", "Taoyuan"),
    ("龙泉镇", "Longquan"),
    ("石门镇", "Shimen"),
    ("柳溪镇", "Liuxi"),
    ("双河镇", "Shuanghe"),
    ("杨柳镇", "Yangliu"),
    ("新市镇", "Xinshi"),
    ("高桥镇", "Gaoqiao"),
    ("黄土镇", "Huangtu"),
    ("大坪镇", "Daping"),
    ("马鞍镇", "Ma'an"),
    ("清水镇", "Qingshui"),
    ("金盆镇", "Jinpen"),
    ("长乐镇", "Changle"),
    ("松柏镇", "Songbai"),
    ("荷塘镇", "Hetang"),
    ("花桥镇", "Huaqiao"),
    ("兴隆镇", "Xinglong"),
    ("太平镇", "Taiping"),
    ("永丰镇", "Yongfeng"),
    ("三塘镇", "Santang"),
    ("观音镇", "Guanyin"),
    ("东山镇", "Dongshan"),
    ("西河镇", "Xihe"),
    ("南岭镇", "Nanling"),
    ("北港镇", "Beigang"),
    ("梅溪镇", "Meixi"),
    ("竹园镇", "Zhuyuan"),
    ("茶陵镇", "Chaling"),
    ("官渡镇", "Guandu"),
    ("沙坪镇", "Shaping"),
    ("牛头镇", "Niutou"),
    ("凤凰镇", "Fenghuang"),
    ("白鹤镇", "Baihe"),
    ("狮子镇", "Shizi"),
)
# Suffixes for a second outlet in a large town (城关 has several: 城关东街支行 ...).
BRANCH_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("", ""),
    ("东街", "East Street"),
    ("西街", "West Street"),
    ("南门", "South Gate"),
    ("北门", "North Gate"),
    ("新区", "New District"),
    ("人民路", "Renmin Road"),
    ("解放路", "Jiefang Road"),
    ("车站", "Station"),
    ("开发区", "Development Zone"),
)
VILLAGE_HEADS = "青白黄红石柳桃李杨马龙凤金银高低上下东西南北大小新老长前后中沙水田山"
VILLAGE_TAILS = (
    "村",
    "湾村",
    "坪村",
    "冲村",
    "塘村",
    "桥村",
    "岭村",
    "溪村",
    "家村",
    "铺村",
)
# Cities where migrant workers go; remittances come from there.
CITIES: tuple[str, ...] = (
    "广州",
    "深圳",
    "东莞",
    "佛山",
    "杭州",
    "宁波",
    "上海",
    "苏州",
    "长沙",
    "武汉",
    "厦门",
    "北京",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆建国庆文武海林峰春生志东"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英玲桂兰红梅琴云莲珍萍燕婷雪慧洁琳颖倩玉凤春花"


MERCHANT_CATEGORIES = (
    "supermarket",
    "agri_supplies",
    "restaurant",
    "fuel",
    "pharmacy",
    "clothing",
    "electronics",
    "education",
    "telecom",
    "building_materials",
    "online_shopping",
    "jewellery",
)

# Region code of the invented county (Hunan-like prefix) for 18-digit ID numbers.
COUNTY_REGION_CODE = 430_723
