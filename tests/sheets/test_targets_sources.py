"""Every value of the Changzhou 2026 and Xuzhou 2022 target tables, read from the generated
workbooks, compared with the source text.

EXPECTED is a transcription of the source documents (../shared/seeds/changzhou-2026-…txt and
xuzhou-2022-…txt), one indicator a line, tab-separated:

    name  half-year text  half-year decomposition  full-year text  full-year decomposition

A decomposition is "OP QUANTITY UNIT" (OP and UNIT "_" when absent, e.g. "≥ 10000 人次",
"_ 7 _"), "OP R A:B" for a ratio, or "L WORD" for a qualitative level. It was written from the
source text, not from the parser. Rows appear in table order.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from app.sheets.targets import read_target_workbook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "targets"

EXPECTED = """\
# changzhou
中长期规划制定健全性	健全	L 健全	健全	L 健全
工作计划制定健全性	健全	L 健全	健全	L 健全
绩效目标合理性	合理	L 合理	合理	L 合理
绩效指标明确性	明确	L 明确	明确	L 明确
预算编制科学性	科学	L 科学	科学	L 科学
预算编制规范性	规范	L 规范	规范	L 规范
预算调整率	=0%	= 0 %	=0%	= 0 %
支付进度符合率	=100%	= 100 %	=100%	= 100 %
预算执行率	=45%	= 45 %	=100%	= 100 %
结转结余率	=0%	= 0 %	=0%	= 0 %
公用经费控制率	≤100%	≤ 100 %	≤100%	≤ 100 %
“三公经费”变动率	≤0%	≤ 0 %	≤0%	≤ 0 %
政府采购执行率	=100%	= 100 %	=100%	= 100 %
非税收入预算完成率	≥100%	≥ 100 %	≥100%	≥ 100 %
预算管理制度健全性	健全	L 健全	健全	L 健全
资金使用合规性	合规	L 合规	合规	L 合规
绩效管理覆盖率	=100%	= 100 %	=100%	= 100 %
基础信息完善性	完善	L 完善	完善	L 完善
预决算信息公开度	公开	L 公开	公开	L 公开
非税收入管理合规性	合规	L 合规	合规	L 合规
资产管理制度健全性	健全	L 健全	健全	L 健全
资产管理规范性	规范	L 规范	规范	L 规范
固定资产利用率	=100%	= 100 %	=100%	= 100 %
项目管理制度健全性	健全	L 健全	健全	L 健全
项目管理制度执行规范性	规范	L 规范	规范	L 规范
人员管理制度健全性	健全	L 健全	健全	L 健全
人员管理制度执行有效性	有效	L 有效	有效	L 有效
在职人员控制率	=100%	= 100 %	=100%	= 100 %
组织建设及时性完成率	=100%	= 100 %	=100%	= 100 %
业务学习与培训及时性完成率	=100%	= 100 %	=100%	= 100 %
纪检监察工作有效性	有效	L 有效	有效	L 有效
履行党建工作责任述职评议	推进	L 推进	落实	L 落实
落实“三会一课”、主题党日、谈心谈话、组织生活会等组织生活制度	推进	L 推进	落实	L 落实
评选最佳党日活动	≥10个	≥ 10 个	≥10个	≥ 10 个
发展师生党员数	≥30%	≥ 30 %	完成常州市下达计划	L 完成常州市下达计划
加强毕业生党员教育管理	推进	L 推进	落实	L 落实
推进高校三级党组织“强基创优”建设	推进	L 推进	落实	L 落实
“双带头人”教师党支部书记占比	推进	L 推进	≥100%	≥ 100 %
校级基层党建“书记项目”	推进	L 推进	≥16个	≥ 16 个
民主党派、统战团体联谊活动次数	推进	L 推进	≥30次	≥ 30 次
党建网站建设	推进	L 推进	落实	L 落实
开展党员发展教育四级培训	推进	L 推进	完成	L 完成
党员参加集中培训和集体学习人均课时	推进	L 推进	≥32次	≥ 32 次
中层干部培训每年不少于110学时、科级干部培训每年不少于90学时	推进	L 推进	落实	L 落实
建立“新能红盟”组织体系，共建党建示范基地、联合党支部、临时党支部、先锋党小组	≥3个	≥ 3 个	≥5个	≥ 5 个
建设新能源特色谱系化党建品牌	≥10个	≥ 10 个	≥10个	≥ 10 个
荣获省级统战工作奖项数	推进	L 推进	≥1个	≥ 1 个
新增校级成人高等教育精品资源共享课程	≥0个	≥ 0 个	≥5个	≥ 5 个
专接本在校生人数	≥240人	≥ 240 人	≥500人	≥ 500 人
成教招生人数	≥700人	≥ 700 人	≥700人	≥ 700 人
社会培训	≥10000人次	≥ 10000 人次	≥39000人次	≥ 39000 人次
创新创业培训	≥150人次	≥ 150 人次	≥300人次	≥ 300 人次
创新创业普及教育	≥25%	≥ 25 %	≥50%	≥ 50 %
创新创业大赛参赛项目数量	≥800个	≥ 800 个	≥800个	≥ 800 个
创新创业大赛省赛获奖项目	推进	L 推进	≥6项	≥ 6 项
创新创业训练项目数	推进	L 推进	≥16项	≥ 16 项
省产业教授	≥0人	≥ 0 人	≥1人	≥ 1 人
具有硕士学位以上的专任教师占比	≥80%	≥ 80 %	≥83%	≥ 83 %
新进专任教师	≥0人	≥ 0 人	≥10人	≥ 10 人
专任教师高级职称比例	≥35%	≥ 35 %	≥36%	≥ 36 %
新增高级职称人员	≥0人	≥ 0 人	≥10人	≥ 10 人
新增省级及以上人才	≥0人	≥ 0 人	≥5人	≥ 5 人
辅导员师生比	1:200	_ R 1:200	1:200	_ R 1:200
参加校本培训人数	≥100人次	≥ 100 人次	≥200人次	≥ 200 人次
参加省级培训人数	≥0人次	≥ 0 人次	≥55人次	≥ 55 人次
参加国家级培训人数	≥0人次	≥ 0 人次	≥30人次	≥ 30 人次
其他专业类培训人数	≥25人次	≥ 25 人次	≥50人次	≥ 50 人次
建设教师企业实践基地	≥0个	≥ 0 个	≥5个	≥ 5 个
教师企业实践锻炼人数	≥150人次	≥ 150 人次	≥300人次	≥ 300 人次
建设技能大师工作室	≥0个	≥ 0 个	≥1个	≥ 1 个
建设省级教学创新团队等团队	≥0个	≥ 0 个	≥1个	≥ 1 个
省大学生职业规划大赛	≥0项	≥ 0 项	≥1项	≥ 1 项
“挑战杯”全国大学生创业计划竞赛省赛及省级以上奖项	≥0项	≥ 0 项	≥1项	≥ 1 项
开展“实践归来话实践”主题活动，评选校十佳实践团队	≥0次	≥ 0 次	≥1次	≥ 1 次
开设大学生心理健康教育课	无	L 无	≥100%	≥ 100 %
组织心理健康教育活动	≥15次	≥ 15 次	≥30次	≥ 30 次
召开心理健康教育专题会议	≥1次	≥ 1 次	≥2次	≥ 2 次
深化心理朋辈队伍建设	≥2次	≥ 2 次	≥4次	≥ 4 次
开展新生心理普查	无	L 无	≥100%	≥ 100 %
加强危机干预处置	按需提供	L 按需提供	按需提供	L 按需提供
提供日常心理咨询服务	按需提供	L 按需提供	按需提供	L 按需提供
在校生心理状况常态化回访、摸排	≥1次	≥ 1 次	≥2次	≥ 2 次
辅导员论坛	≥1次	≥ 1 次	≥2次	≥ 2 次
辅导员培训	≥1次	≥ 1 次	≥2次	≥ 2 次
辅导员案例评选	≥0次	≥ 0 次	≥1次	≥ 1 次
辅导员论文征集	≥0次	≥ 0 次	≥1次	≥ 1 次
班主任培训	≥0次	≥ 0 次	≥1次	≥ 1 次
召开校级学生代表大会	≥0次	≥ 0 次	≥1次	≥ 1 次
信仰公开课校级开展场次	≥0场	≥ 0 场	≥6场	≥ 6 场
青马工程校级层面开展期数	≥0期	≥ 0 期	≥1期	≥ 1 期
团校开班期数	≥0期	≥ 0 期	≥2期	≥ 2 期
家庭经济困难学生认定	老生动态调整	L 老生动态调整	新生完成认定	L 新生完成认定
提取事业收入6%用于学生资助	无	L 无	完成	L 完成
发展型资助育人案例评选	≥0次	≥ 0 次	≥1次	≥ 1 次
奖助学金按时发放	无	L 无	完成	L 完成
完成孤困学生结对帮扶工作	无	L 无	完成	L 完成
军事课教师参加师资省培	≥0人	≥ 0 人	≥1人	≥ 1 人
国防教育宣传（含国防讲座）	≥1场	≥ 1 场	≥2场	≥ 2 场
完成学生军训	无	L 无	完成	L 完成
在校大学生应征入伍	≥0人	≥ 0 人	≥50人	≥ 50 人
召开二级教代会	≥7次	≥ 7 次	7	_ 7 _
召开校级教代会	≥1次	≥ 1 次	1	_ 1 _
教代会提案落实	≥0%	≥ 0 %	100%	_ 100 %
教代会信息公开	≥100%	≥ 100 %	100%	_ 100 %
召开全校宣传思想文化工作会议	≥1次	≥ 1 次	≥1次	≥ 1 次
认真编辑、出版、发行学校校报	≥2期	≥ 2 期	≥4期	≥ 4 期
打造“奋斗的青年榜样”专题，挖掘学校学生典型人物	≥3位	≥ 3 位	≥6位	≥ 6 位
打造“常工业平凡人”专题，挖掘学校教职工典型人物	≥1位	≥ 1 位	≥2位	≥ 2 位
校园网络广播电视台节目量	≥6期	≥ 6 期	≥12期	≥ 12 期
微信公众号信息推送量	≥120条	≥ 120 条	≥250条	≥ 250 条
微信公众号粉丝数	≥3.5万	≥ 3.5 万	≥3.8万	≥ 3.8 万
抖音号信息推送量	≥20条	≥ 20 条	≥40条	≥ 40 条
抖音号粉丝数	≥0.8万	≥ 0.8 万	≥1.2万	≥ 1.2 万
学校官网主页信息推送量	≥600条	≥ 600 条	≥1200条	≥ 1200 条
江苏省教育新闻舆论工作积分	≥250分	≥ 250 分	≥500分	≥ 500 分
制定学校意识形态工作重点任务清单	制定	L 制定	制定	L 制定
与学校各单位、各党总支签订意识形态责任书	签订	L 签订	签订	L 签订
召开意识形态工作分析研判会议	≥2次	≥ 2 次	≥4次	≥ 4 次
召开意识形态工作专题党委会	≥1次	≥ 1 次	≥2次	≥ 2 次
向江苏省委教育工委专题汇报意识形态工作	≥2次	≥ 2 次	≥4次	≥ 4 次
向常州市委专题汇报意识形态工作	≥1次	≥ 1 次	≥1次	≥ 1 次
横幅、标语、海报等审核、备案率	=100%	= 100 %	=100%	= 100 %
讲座、论坛、研讨会、报告会等审核、备案率	=100%	= 100 %	=100%	= 100 %
新增新媒体平台审核备案率	=100%	= 100 %	=100%	= 100 %
督查意识形态工作责任制落实情况	≥1次	≥ 1 次	≥1次	≥ 1 次
全年意识形态类事件发生数量	=0次	= 0 次	=0次	= 0 次
召开党委理论学习中心组学习会	≥4次	≥ 4 次	≥10次	≥ 10 次
制定学校思想政治工作重点任务清单	制定	L 制定	制定	L 制定
召开思想政治工作专题党委会	≥1次	≥ 1 次	≥2次	≥ 2 次
遴选校级思想政治工作质量提升综合改革与精品建设项目	≥3项	≥ 3 项	≥3项	≥ 3 项
遴选网络教育名师	≥4位	≥ 4 位	≥4位	≥ 4 位
遴选校园好网民	≥4位	≥ 4 位	≥4位	≥ 4 位
完善学校文化内涵建设	推进	L 推进	完善	L 完善
开展以宪法教育为核心的校级普法教育活动	≥3场次	≥ 3 场次	≥6场次	≥ 6 场次
获得省级以上思政系列评比表彰数量	≥1个	≥ 1 个	≥2个	≥ 2 个
“大学生网络文化节”和“网络教育优秀作品推选展示活动”入选数量	≥1个	≥ 1 个	≥2个	≥ 2 个
开展师生思想动态调研一次	≥1次	≥ 1 次	≥2次	≥ 2 次
公寓、教学楼、水平衡、校门等维修项目	到位	L 到位	到位	L 到位
食堂日均开放就餐时间	≥14小时/天	≥ 14 小时/天	16.5小时/天	_ 16.5 小时/天
食品安全事故次数	无	L 无	无	L 无
学生宿舍空调配置率	=100%	= 100 %	=100%	= 100 %
学生宿舍开水（含直饮水）机器配置率	≥7个/栋	≥ 7 个/栋	10个/栋	_ 10 个/栋
学生宿舍洗衣机配置率	≥20个/栋	≥ 20 个/栋	23个/栋	_ 23 个/栋
学生宿舍浴室开放时间	≥7小时/天	≥ 7 小时/天	8小时/天	_ 8 小时/天
学生宿舍阅读空间	≥2个/栋	≥ 2 个/栋	4个/栋	_ 4 个/栋
疾控宣传教育	≥2次	≥ 2 次	6次	_ 6 次
体检	≥1次	≥ 1 次	1次	_ 1 次
传染病（含肺结核）筛查	≥1次	≥ 1 次	2次	_ 2 次
毕业生初次毕业去向落实率	≥0%	≥ 0 %	≥70%	≥ 70 %
毕业生年终去向落实率	≥0%	≥ 0 %	≥92%	≥ 92 %
省内就业占比	≥0%	≥ 0 %	≥80%	≥ 80 %
招生计划完成率	≥0%	≥ 0 %	≥95%	≥ 95 %
全日制学历教育招收新生人数	≥0人	≥ 0 人	≥5000人	≥ 5000 人
省内招生占比	≥0%	≥ 0 %	≥85%	≥ 85 %
信息化建设制度健全性	健全	L 健全	健全	L 健全
信息化专项项目建设完成数	≥0个	≥ 0 个	≥1个	≥ 1 个
校本应用平台办事应用数	≥160个	≥ 160 个	≥170个	≥ 170 个
校本数据中台接口对接数	≥360个	≥ 360 个	≥400个	≥ 400 个
信息化应用保障及服务能力	提升	L 提升	提升	L 提升
信息系统等保测评工作	≥0次	≥ 0 次	=2次	= 2 次
网络安全及信息素养提升培训	≥1次	≥ 1 次	≥2次	≥ 2 次
网络安全应急演练工作	≥0次	≥ 0 次	≥1次	≥ 1 次
消防演练工作	1	_ 1 _	2	_ 2 _
消防设施维保工作	完成	L 完成	完成	L 完成
学校安全工作会议	2	_ 2 _	3	_ 3 _
监控维保	完成	L 完成	完成	L 完成
中外合作办学机构及项目数	≥1个	≥ 1 个	≥1个	≥ 1 个
3个月以内交流学生数占全日制在校生比例	≥0%	≥ 0 %	≥0.1%	≥ 0.1 %
6个月及以上的教师出境访学比例	≥0%	≥ 0 %	≥0.4%	≥ 0.4 %
6个月以内的教师出境访学比例	≥0.2%	≥ 0.2 %	≥0.4%	≥ 0.4 %
留学生数	≥0人	≥ 0 人	≥40人	≥ 40 人
专利转化金额	≥50万元	≥ 50 万元	≥200万元	≥ 200 万元
专利授权数	≥0件	≥ 0 件	≥20件	≥ 20 件
厅级及以上科研项目立项数	≥0项	≥ 0 项	≥40项	≥ 40 项
新增纵向、横向科研项目总收入	≥500万元	≥ 500 万元	≥1500万元	≥ 1500 万元
科研团队（平台）	≥5个	≥ 5 个	≥6个	≥ 6 个
建设市域产教联合体	≥1项	≥ 1 项	≥1项	≥ 1 项
建设市域产教共同体	≥4项	≥ 4 项	≥4项	≥ 4 项
教育部供需对接就业育人项目	≥2项	≥ 2 项	≥4项	≥ 4 项
建设校级产教融合型实训基地	≥3项	≥ 3 项	≥10项	≥ 10 项
中国特色学徒制班（校级）	≥5项	≥ 5 项	≥20项	≥ 20 项
建设产业学院	≥7项	≥ 7 项	≥7项	≥ 7 项
开展人才培养模式改革试点专业数	≥0个	≥ 0 个	≥8个	≥ 8 个
开展专业调研的专业覆盖率	≥0%	≥ 0 %	≥100%	≥ 100 %
开展专业人才培养方案的专业覆盖率	≥0%	≥ 0 %	≥100%	≥ 100 %
专业增加数	≥0个	≥ 0 个	≥1个	≥ 1 个
江苏省高水平专业群建设	≥0个	≥ 0 个	≥2个	≥ 2 个
人才培养方案的社会适应性	适应	L 适应	适应	L 适应
校企合作开发课程数	≥0门	≥ 0 门	≥300门	≥ 300 门
省级及以上水平在线精品课程数量	≥0门	≥ 0 门	≥3门	≥ 3 门
国家级技能大赛获奖数	≥0项	≥ 0 项	≥1项	≥ 1 项
省级技能大赛获奖数	≥0项	≥ 0 项	≥18项	≥ 18 项
省部级以上教学能力大赛获奖数	≥0项	≥ 0 项	≥5项	≥ 5 项
立项省级重点教材（省级规划教材）数量	≥0本	≥ 0 本	≥2本	≥ 2 本
服务经济社会发展贡献	提升	L 提升	提升	L 提升
技术合同成交额	≥500万元	≥ 500 万元	≥2000万元	≥ 2000 万元
继续教育总收入	≥550万元	≥ 550 万元	≥1000万元	≥ 1000 万元
学校办学水平提升	提升	L 提升	提升	L 提升
学校社会影响力提升	提升	L 提升	提升	L 提升
学校治理生态良好	良好	L 良好	良好	L 良好
学生可持续发展能力	提升	L 提升	提升	L 提升
在校生对学校的满意度	≥0%	≥ 0 %	≥95%	≥ 95 %
毕业生对学校的满意度	≥0%	≥ 0 %	≥90%	≥ 90 %
用人单位对毕业生的满意度	≥0%	≥ 0 %	≥88%	≥ 88 %
# xuzhou
会计实训基地	＝0个	= 0 个	＝1个	= 1 个
数控加工现代化实训基地	＝0个	= 0 个	＝1个	= 1 个
智能机器人应用维护中心	＝0个	= 0 个	＝1个	= 1 个
完成二标段总工程程度	≥30%	≥ 30 %	≥60%	≥ 60 %
开展主题黑板报评比活动	≥4次	≥ 4 次	≥8次	≥ 8 次
开展业余党课、团课培训、入团宣誓等活动	≥2次	≥ 2 次	≥4次	≥ 4 次
开展就业欢送会、优秀职校生校园分享、工匠精神、劳模精神主题教育活动	≥2次	≥ 2 次	≥4次	≥ 4 次
开展感恩励志主题教育活动次数	≥2次	≥ 2 次	≥5次	≥ 5 次
开展读书月主题活动	≥6次	≥ 6 次	≥12 次	≥ 12 次
开展文明礼仪评比教育活动	≥1次	≥ 1 次	≥2次	≥ 2 次
开展校园文化艺术节主题活动	≥0次	≥ 0 次	≥10 次	≥ 10 次
开展特色品牌文化活动	≥2次	≥ 2 次	≥4次	≥ 4 次
开展社团展示主题活动	≥1次	≥ 1 次	≥2次	≥ 2 次
开展纪念“五四运动”主题教育活动	≥1次	≥ 1 次	≥1次	≥ 1 次
开展学雷锋主题系列活动	≥5次	≥ 5 次	≥5次	≥ 5 次
开展技能竞赛主题活动	≥1次	≥ 1 次	≥3次	≥ 3 次
“六个好”标准、八礼四仪、社会主义核心价值观知晓率	＝100%	= 100 %	＝100%	= 100 %
开展文明礼仪主题教育活动	≥2次	≥ 2 次	≥5次	≥ 5 次
开展“大走访”活动	≥1次	≥ 1 次	≥2次	≥ 2 次
与企业建立订单培养形式，建立新型（现代）学徒制等校企“双主体育人模式”	≥300 人	≥ 300 人	≥300 人	≥ 300 人
与宁波、武汉、南京、苏州、无锡、常州等企业校企合作，推荐机械、电气、汽修、会计、地铁、高铁等专业技能人才就业	≥300 人	≥ 300 人	≥300 人	≥ 300 人
与徐州经开区企业校企合作，推荐机械、电气、数控、汽修、焊接、计算机、会计等专业技能人才就业	≥1000 人	≥ 1000 人	≥1000 人	≥ 1000 人
开展“青蓝工程”结对活动	≥10 人次	≥ 10 人次	≥10 人次	≥ 10 人次
青年教师“汇报课”活动	≥10 人次	≥ 10 人次	≥20 人次	≥ 20 人次
市创新创业大赛获奖数	≥0个	≥ 0 个	≥1个	≥ 1 个
省创新创业大赛获奖数	≥0个	≥ 0 个	≥1个	≥ 1 个
参加国家级培训	≥0人次	≥ 0 人次	≥5人次	≥ 5 人次
参加省级培训	≥0人次	≥ 0 人次	≥20 人次	≥ 20 人次
参加市级培训	≥0人次	≥ 0 人次	≥50 人次	≥ 50 人次
参加院级培训	≥0人次	≥ 0 人次	≥180 人次	≥ 180 人次
研究生人数	≥60 人	≥ 60 人	≥60 人	≥ 60 人
本科生人数	≥180 人	≥ 180 人	≥180 人	≥ 180 人
初级职称人数	≥70 人	≥ 70 人	≥70 人	≥ 70 人
中级职称人数	≥60 人	≥ 60 人	≥60 人	≥ 60 人
高级职称人数	≥40 人	≥ 40 人	≥40 人	≥ 40 人
市技能大赛获奖数	≥0个	≥ 0 个	≥25 个	≥ 25 个
承办市技能大赛项目	≥0个	≥ 0 个	≥2个	≥ 2 个
省技能大赛获奖数	≥0个	≥ 0 个	≥5个	≥ 5 个
专利发明	≥25 个	≥ 25 个	≥40 个	≥ 40 个
名师工作室开展教科研活动	≥5次	≥ 5 次	≥10 次	≥ 10 次
教师“公开课”展示活动	≥50 人次	≥ 50 人次	≥100 人次	≥ 100 人次
省文明风采大赛获奖数	≥0个	≥ 0 个	≥3个	≥ 3 个
市职业院校教学大赛奖数	≥0个	≥ 0 个	≥6个	≥ 6 个
省职业院校教学大赛奖数	≥0个	≥ 0 个	≥3个	≥ 3 个
市级一等奖论文篇幅	≥0篇	≥ 0 篇	≥3篇	≥ 3 篇
市级三等奖论文篇幅	≥0篇	≥ 0 篇	≥8篇	≥ 8 篇
市级二等奖论文篇幅	≥0篇	≥ 0 篇	≥6篇	≥ 6 篇
省级一等奖论文篇幅	≥0篇	≥ 0 篇	≥2篇	≥ 2 篇
省级三等奖论文篇幅	≥0篇	≥ 0 篇	≥8篇	≥ 8 篇
市级课题开题结题数	≥0个	≥ 0 个	≥3个	≥ 3 个
省级课题开题结题数	≥0个	≥ 0 个	≥2个	≥ 2 个
院级课题开题结题数	≥0个	≥ 0 个	≥8个	≥ 8 个
首次就业率	≥95%	≥ 95 %	≥95%	≥ 95 %
学生推荐就业率	≥95%	≥ 95 %	≥95%	≥ 95 %
全日制招收新生	≥0人	≥ 0 人	≥1800 人	≥ 1800 人
廉政培训	≥1次	≥ 1 次	≥2次	≥ 2 次
学院全面从严治党大会	≥1次	≥ 1 次	≥1次	≥ 1 次
学习强国平台活跃度	≥90%	≥ 90 %	≥90%	≥ 90 %
廉政风险排查及廉政责任教育	≥2次	≥ 2 次	≥4次	≥ 4 次
开展“重温入党誓词”等党员教育活动	≥1次	≥ 1 次	≥2次	≥ 2 次
开展主题党日活动、知识竞赛等	≥30 次	≥ 30 次	≥96 次	≥ 96 次
开展党员职工廉洁教育活动	≥3次	≥ 3 次	≥6次	≥ 6 次
民主生活会、组织生活会	≥4次	≥ 4 次	≥9次	≥ 9 次
江苏机关党建云平台活跃度	≥90%	≥ 90 %	≥90%	≥ 90 %
院领导班子民主生活会	≥0次	≥ 0 次	≥1次	≥ 1 次
与高校对接，联办 3+3 分段培养	≥0人	≥ 0 人	≥240 人	≥ 240 人
组织职业技能考核、技能鉴定、第三方成绩评定等	≥3000 人次	≥ 3000 人次	≥5500 人次	≥ 5500 人次
大专计算机统考合格率	≥90%	≥ 90 %	≥90%	≥ 90 %
学业水平测试合格率	≥95%	≥ 95 %	≥95%	≥ 95 %
专科自考单科国考通过率	≥90%	≥ 90 %	≥90%	≥ 90 %
“魅力团支书”“活力团支部”“优秀（十佳）学生会”“优秀（十佳）学生社团”评比市评比获奖数	≥0个	≥ 0 个	≥1个	≥ 1 个
“魅力团支书”“活力团支部”“优秀（十佳）学生会”“优秀（十佳）学生社团”评比省评比获奖数	≥0个	≥ 0 个	≥1个	≥ 1 个
“最美中职生”“三下乡”“优秀团员”“优秀团干部”“三创优秀学生”等评选市评比获奖数	≥0个	≥ 0 个	≥6个	≥ 6 个
“最美中职生”“三下乡”“优秀团员”“优秀团干部”“三创优秀学生”等评选省评比获奖数	≥0个	≥ 0 个	≥4个	≥ 4 个
社会主义核心价值观、理想信念、爱国主义、集体主义等教育活动	≥10 次	≥ 10 次	≥20 次	≥ 20 次
增强学生安全防范意识、掌握消防安全知识和应急自救等能力	≥10 次	≥ 10 次	≥20 次	≥ 20 次
与江苏建筑职业技术学院、徐州工业职业技术学院等函授合作办学	≥0人次	≥ 0 人次	≥600 人次	≥ 600 人次
企业职工培训	≥400 人次	≥ 400 人次	≥800 人次	≥ 800 人次
学生满意度	≥75%	≥ 75 %	≥75%	≥ 75 %
食堂食品安全	无重大食品安全事故	L 无重大食品安全事故	无重大食品安全事故	L 无重大食品安全事故
锅炉房安全生产	无安全事故	L 无安全事故	无安全事故	L 无安全事故
锅炉房蒸汽供应	保障供应	L 保障供应	保障供应	L 保障供应
校园超市食品安全	无假冒伪劣商品及重大食品安全事故	L 无假冒伪劣商品及重大食品安全事故	无假冒伪劣商品及重大食品安全事故	L 无假冒伪劣商品及重大食品安全事故
开水房热水服务	保障供应	L 保障供应	保障供应	L 保障供应
师生满意度	≥75%	≥ 75 %	≥75%	≥ 75 %
浴室洗浴服务	保障供应	L 保障供应	保障供应	L 保障供应
学生推荐就业率	≥95%	≥ 95 %	≥95%	≥ 95 %
学生满意率	≥95%	≥ 95 %	≥95%	≥ 95 %
"""  # noqa: E501 (rows copied verbatim from the source tables, one tab-separated line each)


def _expected() -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    current = None
    for line in EXPECTED.splitlines():
        if line.startswith("# "):
            current = line[2:]
            out[current] = []
        elif line.strip():
            out[current].append(line.split("\t"))
    return out


def _decompose(value) -> str:
    if value.kind == "level":
        return f"L {value.level}"
    op = value.operator or "_"
    if value.kind == "ratio":
        a, b = value.ratio
        return f"{op} R {a}:{b}"
    assert value.kind == "quantity", value
    return f"{op} {value.quantity} {value.unit or '_'}"


@pytest.fixture(scope="module")
def changzhou():
    result = read_target_workbook(FIXTURES / "changzhou_2026_targets.xlsx")
    assert result.errors == [], [str(e) for e in result.errors]
    return result


@pytest.fixture(scope="module")
def xuzhou():
    result = read_target_workbook(FIXTURES / "xuzhou_2022_targets.xlsx")
    assert result.errors == [], [str(e) for e in result.errors]
    return result


def _cases(table: str):
    return [pytest.param(table, i, id=f"{table}-{i + 1}") for i in range(len(_expected()[table]))]


def test_row_counts(changzhou, xuzhou):
    assert len(_expected()["changzhou"]) == 204
    assert len(_expected()["xuzhou"]) == 88
    assert len(changzhou.rows) == 204
    assert len(xuzhou.rows) == 88


@pytest.mark.parametrize("table, index", _cases("changzhou") + _cases("xuzhou"))
def test_every_value_matches_the_source(table, index, changzhou, xuzhou):
    result = changzhou if table == "changzhou" else xuzhou
    name, half_text, half_spec, full_text, full_spec = _expected()[table][index]
    row = result.rows[index]
    assert row.position == index + 1
    assert row.name == name
    assert row.half_year.text == half_text
    assert row.full_year.text == full_text
    assert _decompose(row.half_year) == half_spec
    assert _decompose(row.full_year) == full_spec


def test_changzhou_meta_and_levels(changzhou):
    assert (changzhou.unit, changzhou.year, changzhou.layout) == ("常州工业职业技术学院", 2026, "levels")
    assert changzhou.title == "江苏省省级部门整体预算绩效目标表"
    assert Counter(r.level1 for r in changzhou.rows) == {
        "决策": 7, "过程": 24, "履职": 163, "效益指标": 7, "满意度指标": 3
    }
    rows = {r.name: r for r in changzhou.rows}
    assert rows["纪检监察工作有效性"].levels == ("过程", "机构建设", "纪检监察工作有效性")
    assert rows["纪检监察工作有效性"].key_work is None
    r = rows["教师企业实践锻炼人数"]
    assert (r.level1, r.level2, r.key_work) == ("履职", "师资队伍建设", "双师素质培养基地")
    assert rows["社会培训"].key_work == "社会服务"
    # the first two 教育教学 rows have no 重点工作, and do not inherit 专业建设's
    assert rows["江苏省高水平专业群建设"].key_work is None
    assert rows["人才培养方案的社会适应性"].key_work is None
    assert rows["校企合作开发课程数"].key_work == "课程建设"
    # one value merged across the half-year and full-year columns
    r = rows["公寓、教学楼、水平衡、校门等维修项目"]
    assert (r.half_year.level, r.full_year.level) == ("到位", "到位")
    # numeric cells: 7 and a percentage-formatted 1
    assert rows["召开二级教代会"].full_year.quantity == Decimal(7)
    assert (rows["教代会提案落实"].full_year.text, rows["教代会提案落实"].full_year.unit) == ("100%", "%")
    assert rows["用人单位对毕业生的满意度"].levels[:2] == ("满意度指标", "服务对象满意度")
    assert all(r.function is None for r in changzhou.rows)
    assert changzhou.locations[0].row == 8 and changzhou.locations[-1].row == 213


def test_xuzhou_meta_and_functions(xuzhou):
    assert (xuzhou.unit, xuzhou.year, xuzhou.layout) == ("徐州机电技师学院", 2022, "functions")
    functions = [r.function for r in xuzhou.rows if r.function]
    assert len(functions) == 86
    assert len(set(functions)) == 11
    rows = {r.name: r for r in xuzhou.rows}
    r = rows["完成二标段总工程程度"]
    assert (r.function, r.key_work, r.related_project) == ("职能 1：提升职业教育现代化水平", "校园基础建设", "校区扩建")
    assert rows["会计实训基地"].related_project is None
    r = rows["企业职工培训"]
    assert (r.level1, r.level2, r.function, r.key_work) == (
        "履职", "职能 10：社会培训", "职能 10：社会培训", "社会培训"
    )
    # 招生 under 职能 5 and under 职能 7 stay apart
    assert rows["全日制招收新生"].function.startswith("职能 5")
    assert rows["与高校对接，联办 3+3 分段培养"].function.startswith("职能 7")
    last = xuzhou.rows[-1]
    assert (last.levels, last.function, last.key_work) == (("满意度", "服务对象满意度", "学生满意率"), None, None)


def test_to_json_has_one_object_per_indicator(changzhou):
    objs = changzhou.to_json()
    assert len(objs) == 204
    o = objs[50]
    assert o["name"] == "社会培训"
    assert o["levels"] == ["履职", "继续教育与社会服务", "社会培训"]
    assert o["half_year"] == {"text": "≥10000人次", "kind": "quantity", "operator": "≥", "quantity": "10000",
                              "unit": "人次", "level": None}
    assert o["full_year"]["quantity"] == "39000"
    assert o["sheet"] == "部门整体绩效目标" and o["row"] == 59


# The Jiangmen 2022 target table (市级部门整体预算绩效目标申报表, 绩效指标 part): one 指标值 column,
# then 第三方审核意见 and 实际完成值, which the reader leaves alone. Built in memory from the source.
JIANGMEN = [
    ("产出指标", "数量指标", "指标 1：教师培训人次", "150 人次", "295 人次", "_ 150 人次"),
    ("产出指标", "数量指标", "指标 2：引进研究生以上层次人才数量", "≥5", "11 人", "≥ 5 _"),
    ("产出指标", "数量指标", "指标 3：校企合作项目数", "5", "6个", "_ 5 _"),
    ("产出指标", "数量指标", "指标 4：荷塘校区工程量完工率", "100%", "100%", "_ 100 %"),
    ("产出指标", "数量指标", "指标 5：实验室实习课时占比", "≥60%", "≥60%", "≥ 60 %"),
    ("产出指标", "数量指标", "指标 6：发放在职人员薪酬、津贴人数", "230 人", "234 人", "_ 230 人"),
    ("产出指标", "质量指标", "指标 7：技能竞赛获奖率", "≥90%", "100%", "≥ 90 %"),
    ("产出指标", "质量指标", "指标 8：中、高级职称以上教师", "≥85%", "73%", "≥ 85 %"),
    ("产出指标", "质量指标", "指标 9：高级工层次招生比例", "70%", "92%", "_ 70 %"),
    ("产出指标", "质量指标", "指标 10：校园设备设施改造修缮工程验收合格率", "100%", "100%", "_ 100 %"),
    ("产出指标", "质量指标", "指标 11：项目验收合格率", "100%", "100%", "_ 100 %"),
    ("产出指标", "质量指标", "指标 12：研究生及以上学历专任教师比例", "15%", "15%", "_ 15 %"),
    ("产出指标", "时效指标", "指标 13：合同款项支付及时率", "100%", "100%", "_ 100 %"),
    ("产出指标", "成本指标", "指标 14：预算调整率", "≤5%", "-4%", "≤ 5 %"),
    ("效益指标", "社会效益指标", "指标 15：招收新生人数", "3000 人", "3635 人", "_ 3000 人"),
    ("效益指标", "社会效益指标", "指标 16：毕业生就业率", "≥95%", "98.37%", "≥ 95 %"),
    ("效益指标", "社会效益指标", "指标 17：培训鉴定人次", "5500 人次", "8209 人次", "_ 5500 人次"),
    ("效益指标", "可持续影响指标", "指标 18：档案管理完备性", "完备", "完备", "L 完备"),
    ("满意度指标", "服务对象满意度指标", "指标 19：教职工满意度", "≥92%", "100%", "≥ 92 %"),
    ("满意度指标", "服务对象满意度指标", "指标 20：学生/学员满意度", "≥92%", "100%", "≥ 92 %"),
]


def test_jiangmen_single_value_column_table():
    import io

    from openpyxl import Workbook

    from app.rubric.targets import checkpoint_report

    wb = Workbook()
    ws = wb.active
    ws.append(["市级部门整体预算绩效目标申报表"])
    ws.append(["部门名称", "江门市技师学院"])
    ws.append(["一级指标", "二级指标", "三级指标", "指标值", "第三方审核意见", "实际完成值"])
    for l1, l2, name, target, actual, _ in JIANGMEN:
        ws.append([l1, l2, name, target, "无意见。", actual])
    buf = io.BytesIO()
    wb.save(buf)
    result = read_target_workbook(buf.getvalue(), year=2022)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.unit, result.year) == ("江门市技师学院", 2022)
    assert len(result.rows) == 20
    for row, (l1, l2, name, target, _, spec) in zip(result.rows, JIANGMEN, strict=True):
        assert (row.level1, row.level2, row.name) == (l1, l2, name)
        assert row.half_year is None
        assert row.full_year.text == target and _decompose(row.full_year) == spec
    table = result.to_table()
    report = checkpoint_report(table, {i + 1: j[4] for i, j in enumerate(JIANGMEN)}, "full_year")
    behind = {r.name: r.status for r in report.rows if r.behind}
    assert behind == {"指标 8：中、高级职称以上教师": "amber"}  # 73 % of ≥85 % is 85.88 %
    assert report.counts["green"] == 19


def _met(value) -> str:
    """An actual that exactly meets a target value."""
    if value.kind == "quantity":
        return f"{value.quantity}{value.unit or ''}"
    return value.text


def test_a_year_through_both_checkpoints_to_a_grade(xuzhou):
    from app.rubric.targets import checkpoint_report, row_weights, score_table

    table = xuzhou.to_table()
    by_name = {r.name: r for r in table.rows}
    works = by_name["完成二标段总工程程度"]  # ≥30% / ≥60%
    canteen = by_name["食堂食品安全"]  # 无重大食品安全事故

    half = {r.position: _met(r.half_year) for r in table.rows}
    half[works.position] = "27%"  # 90 % of the half-year target → amber
    half[by_name["开展主题黑板报评比活动"].position] = "3次"  # 75 % → red
    mid = checkpoint_report(table, half, "half_year")
    assert {r.name: r.status for r in mid.behind} == {"完成二标段总工程程度": "amber", "开展主题黑板报评比活动": "red"}
    assert mid.counts == {"green": 86, "amber": 1, "red": 1, "unknown": 0, "missing": 0}

    full = {r.position: _met(r.full_year) for r in table.rows}
    full[works.position] = "54%"  # c = 0.9 → loses 2.5 × 10 % of its weight
    full[canteen.position] = "未达到预期指标"
    end = checkpoint_report(table, full, "full_year")
    assert {r.name: r.status for r in end.behind} == {"完成二标段总工程程度": "amber", "食堂食品安全": "red"}
    weights = row_weights(table)
    assert sum(weights.values()) == 100
    assert (weights[works.position], weights[canteen.position]) == (Decimal("1.14"), Decimal("1.13"))
    score = score_table(table, full)
    assert score.complete
    # 1.14 × 0.25 = 0.285 → 0.29 lost; the canteen row loses all of its 1.13
    assert score.total == Decimal("100") - Decimal("0.29") - Decimal("1.13")
    assert score.grade == "优"
    assert [r.name for r in score.shortfalls] == ["完成二标段总工程程度", "食堂食品安全"]
