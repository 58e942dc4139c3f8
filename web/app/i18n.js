// Every word a person reads, in Chinese first (SPEC §9) and English as an option. The language is
// kept on the device; the server's own error messages follow it through Accept-Language.
const zh = {
  appName: '直通', signInTitle: '登录', signInHelp: '请粘贴管理员发给您的令牌，或打开他给您的链接、扫他给您的二维码。令牌只保存在这部手机上。',
  tokenLabel: '令牌', signIn: '登录', signOut: '退出登录', signOutConfirm: '退出后这部手机将忘记令牌，未发出的报告仍保留。确定退出？',
  badToken: '令牌无效或已过期，请向管理员要一个新的。', revoked: '这个令牌已被收回，请向管理员要一个新的。',
  offlineNoSession: '没有网络，无法验证令牌。请有信号时再登录。', signingIn: '正在登录…', language: 'English',
  tabReport: '上报灾情', tabDuty: '值班告警', tabCounty: '统计与时限', tabSent: '我的报告',
  insecure: '此页面不是通过 HTTPS 打开的：无法使用手机定位和系统通知，其他功能照常。', 
  logBroken: (n, at) => `记录校验未通过（${at} 查出 ${n} 处问题）：历史记录可能被删改，这里显示的内容可能缺少记录或含有被改动的记录。发放救助、上报数字之前，请先交审计人员核对。`,
  // report form
  village: '村（社区）', group: '村民小组（可不填）', hazard: '灾害种类', whatHappened: '发生了什么', whatHappenedHint: '例如：后山滑坡，冲毁两户房屋，道路中断',
  directions: '怎么走（路线、地标）', estimate: '估计（不清楚可不填）', affectedPeople: '受灾人数', dead: '死亡', missing: '失踪', injured: '受伤', evacuated: '需转移人数',
  roomsCollapsed: '倒塌房屋（间）', roomsSeverelyDamaged: '严重损坏房屋（间）', roomsModeratelyDamaged: '一般损坏房屋（间）',
  reporterName: '报告人姓名', reporterPhone: '报告人电话', useLocation: '添加我现在的位置', locating: '正在定位…', locationAdded: '已添加位置', locationFailed: '无法定位，可以不填位置',
  submit: '发送报告', required: '必填', queuedOffline: '已保存在手机上，有网络时自动发送', sending: '正在发送…',
  delivered: '已送达', pending: '未送达，等待网络', refused: '被拒收', retryNow: '立即重试', callInstead: '报告还没送达。请直接打电话：',
  phoneClockWrong: '这部手机的时间不准：报告已收到，值班人员以收到的时间为准。请到手机“设置”里校准日期和时间。',
  noPhones: '请直接联系乡镇值班电话。', sentList: '我发出的报告', nothingSent: '还没有发出报告', reportedAt: '上报时间', status: '状态', unsentFor: '未送达已',
  minutes: '分钟', newReport: '再报一条', formError: '请检查：', tooLong: (n, max) => `（${n} 字，最多 ${max} 字）`, online: '在线', offline: '离线',
  // duty
  casualtiesRaised: '续报：伤亡增加',
  casualtiesFiled: '报告有人员伤亡',
  reopened: { via_dismissed: '重新报警：所关联的报告已撤销，此报告无人处理', graver: '重新报警：此报告所报情况更严重，按新报告报警', answerer_gone: '重新报警：原接警人的权限已撤销，此报告无人处理' },
  liveAlerts: '实时告警', connected: '已连接', connecting: '正在连接…', reconnecting: '连接中断，正在重连…', noAlerts: '暂无告警', openBoard: '未确认、无人前往的告警', nobodyGoing: (who) => `${who} 已确认，尚无人出发`,
  step: '提醒级别', stepN: (n) => (n === 0 ? '首次告警' : `第 ${n} 次升级`), ago: '前', justNow: '刚刚', acknowledge: '确认收到，我去处理', acknowledged: '已确认',
  ackBy: '确认人', depart: '我已出发', arrive: '我已到达', departed: '已出发', arrived: '已到达', goingBy: (who, change, eta) => (change === 'arrived' ? `${who} 已到达` : `${who} 已出发${eta ? `，预计 ${eta} 到` : ''}`), location: '位置', openMap: '打开地图导航',
  coordinates: '坐标', accessNotes: '进村路况', unitPhones: '村、乡电话', reporter: '报告人', call: '拨打', observed: '发现时间', related: '相关报告',
  clockSuspect: '报告人手机的时钟可能不准，发现时间不可信；请以上报时间为准，打电话问清何时发现。',
  updates: '续报', notes: '情况', back: '返回', details: '详情', enableNotifications: '开启系统通知', notificationsOn: '系统通知已开启', alertSound: '告警声音',
  locationFromReport: '报告人的位置', locationFromUnit: '村中心位置（报告没有带位置）', locationFromUnitInstead: '村（乡镇）中心位置（报告带的位置不可信，见下）',
  locationSuspect: (problem, km, nearer) => `报告带的位置不可信（${problem === 'no_fix' ? '0,0：手机没有定位成功' : problem === 'outside_country' ? '不在国内：手机的定位是旧的或错的' : problem === 'in_other_township' ? `离本村中心 ${km} 公里，更靠近别的乡镇的${nearer?.name ?? '村'}（${nearer?.distanceKm ?? '?'} 公里）` : `离中心 ${km} 公里`}），请按路线和电话问清地点。报告带的位置`,
  pointPassedOver: (problem, km) => `续报带的位置不可信（${problem === 'no_fix' ? '0,0：手机没有定位成功' : problem === 'outside_country' ? '不在国内：手机的定位是旧的或错的' : `离中心 ${km} 公里`}），没有采用，仍按上面的位置前往。续报带的位置`, noLocation: '没有坐标，请按路线和电话联系', changed: { amended: '已续报', dismissed: '已撤销', closed: '已结案', verified: '已核实' },
  unsentOnPhone: (n) => `手机上还有 ${n} 条报告没有送出，登录后会自动发送。情况紧急请直接打电话：`, phoneRule: '（手机 11 位，或固定电话带区号）', countRule: '（填整数）', fixAndResend: '修改后重新发送', tokenDeadQueued: '登录已失效，报告还在手机上，没有送出：请打电话报告，并向乡镇要新的登录链接', fromPhone: '没有网络：下面是手机上保存的告警内容，确认、出发、到达要有信号时才能发出。', boardKept: (at) => `没有网络：这是 ${at} 读到的列表`, networkDown: '没有网络，连不上服务器', networkSlow: '网络太慢，等了 20 秒没有回音', actionFailed: '没有成功，请再试一次：', actionRefused: '没有记录：', rowDamaged: '历史记录有缺损', reportDamaged: (p) => `这份报告的历史记录在存储中有缺损（${p}）：这里显示的是剩下的部分，可能不全。确认、出发、到达仍可记录；核实、撤销、结案要等运维人员从备份恢复之后。请告知审计人员。`, actionDone: '已记录', statusLabel: { filed: '待确认', acknowledged: '已确认', on_site: '已到场', verified: '已核实', dismissed: '已撤销', closed: '已结案' },
  // county
  tallies: '灾情统计', reported: '上报（估计）', verified: '核实', unit: '单位', reports: '报告数', byHazard: '按灾种', allHazards: '全部灾种',
  incidents: '灾害过程与报送时限', due: '截止', overdue: '已超时', submitted: '已报送', remaining: '剩余', clockInitial: '初报', clockDaily: '续报', clockFinal: '核报',
  noIncidents: '没有进行中的灾害过程', missed: '遗漏救助（已核实受损、尚无救助）', noMissed: '没有遗漏', household: '户', damage: '受损', notices: '村务公示（打印张贴）',
  printNotice: '打开公示', damageLabel: { collapsed: '倒塌', severe: '严重损坏', moderate: '一般损坏', none: '未受损' }, loading: '正在加载…', loadFailed: '加载失败：',
  admin: '管理员请用命令行签发令牌（npm run cli -- token …）。', scope: '范围',
  reportedShort: '上报', verifiedShort: '核实', personName: '姓名', estimatedShort: '估计',
  export_xlsx: '下载 Excel 报表', export_csv: '下载 CSV', export_html: '打印报表',
  // The statistical form's columns (自然灾害损失情况统计快报表), as the draft and 报送 carry them.
  stat_affectedPeople: '受灾人口（人）', stat_dead: '死亡人口（人）', stat_missing: '失踪人口（人）', stat_injured: '受伤人口（人）',
  stat_evacuated: '紧急转移安置人口（人）', stat_needEmergencyAid: '需紧急生活救助人口（人）', stat_roomsCollapsed: '倒塌房屋（间）',
  stat_roomsSeverelyDamaged: '严重损坏房屋（间）', stat_roomsModeratelyDamaged: '一般损坏房屋（间）', stat_cropAffectedHa: '农作物受灾面积（公顷）',
  stat_cropDamagedHa: '农作物成灾面积（公顷）', stat_cropFailedHa: '农作物绝收面积（公顷）', stat_livestockLost: '死亡牲畜（头）', stat_directLossYuan: '直接经济损失（元）',
  unlinkedReports: (n) => `县内另有 ${n} 份报告（灾害开始以后上报、未撤销）没有归入任何灾害过程，不在这份草稿里：如属本过程，请先归入再报送`,
  draftOf: '草稿：', showDraft: '查看下一次报送的草稿', reportsCounted: '计入的报告', movedNeedExplanation: '以下数字与上次报送相比变化超过 50%，须填写说明：',
  explanation: '变化说明', accountNotes: '灾情文字说明（约 200 字）', sendUpward: '报送', submittedOk: '已报送，已记入日志',
  issueTitle: '签发令牌', subLabel: '用户名（字母、数字，如 contact-lijia）', roleLabel: '角色', scopeLabel: '范围（单位代码，如村代码 621299103201）', mobileLabel: '手机号（接收告警短信，可不填）',
  issue: '签发', issuedFor: '已签发给', handOver: '请对方用手机扫描二维码，或把下面的链接发给他。链接只能给本人。', qrAlt: '登录二维码', linkLabel: '登录链接', copy: '复制链接',
  roleName: { contact: '村组联络员', officer: '值班干部', head: '负责人', auditor: '审计' },
  verifiedFigures: '入户核实', estimateAtFirst: '报告时的估计', verifiedHow: (who, method, at, n) => `${who}于 ${at} ${method}，核实 ${n} 户`,
  estimateShort: '估计', ':': '：', sep: '、', when: '什么时候发生的', whenAgo: (m) => (m === 0 ? '刚才' : m < 60 ? `约 ${m} 分钟前` : `约 ${m / 60} 小时前`),
  contactStatus: { filed: '等待镇里确认', acknowledged: '镇里已确认，有人处理', on_site: '干部已到现场', verified: '灾情已核实', dismissed: '已撤销', closed: '已结案' },
  contactDismissed: { duplicate: '已有人报过同一灾情，已合并处理', false_alarm: '镇里核实为误报', out_of_scope: '不属本镇管辖' },
  duration: (h, m) => (h > 0 ? `${h} 小时 ${m} 分钟` : `${m} 分钟`), started: '开始于', mineToo: '我也去处理', byOthers: '其他人',
  liveEmpty: '还没有推送给您的新告警（连接之前的未确认告警在下方「未确认、无人前往的告警」中）', paste: '请粘贴令牌或登录链接', villagePhone: '村里电话', relatedReport: '报告',
  adminHelp: '也可在服务器上运行 npm run -s cli -- token --sub 用户名 --role contact --scope 村代码 --name 姓名 --phone 手机号 --link，把打印出的登录链接发给对方（或做成二维码）。',
};
const en = {
  appName: 'zhitong', signInTitle: 'Sign in', signInHelp: 'Paste the token your administrator gave you, or open the link or QR code they gave you. The token stays on this phone.',
  tokenLabel: 'Token', signIn: 'Sign in', signOut: 'Sign out', signOutConfirm: 'This phone will forget the token; unsent reports are kept. Sign out?',
  badToken: 'The token is invalid or expired; ask your administrator for a new one.', revoked: 'This token was revoked; ask your administrator for a new one.',
  offlineNoSession: 'No network: the token cannot be checked. Sign in when there is signal.', signingIn: 'Signing in…', language: '中文',
  tabReport: 'Report', tabDuty: 'Duty alerts', tabCounty: 'Figures', tabSent: 'My reports',
  insecure: 'This page was not opened over HTTPS: the phone’s location and notifications are unavailable; everything else works.',
  logBroken: (n, at) => `The records failed verification (${n} problem(s) found at ${at}): history may have been changed, so what is shown here may lack records or hold altered ones. Have an auditor check them before giving relief or sending figures on.`,
  village: 'Village', group: 'Villager group (optional)', hazard: 'Hazard', whatHappened: 'What happened', whatHappenedHint: 'e.g. landslide behind the village, two houses hit, road cut',
  directions: 'How to get there (route, landmarks)', estimate: 'Estimate (leave blank if unknown)', affectedPeople: 'People affected', dead: 'Dead', missing: 'Missing', injured: 'Injured', evacuated: 'To evacuate',
  roomsCollapsed: 'Rooms collapsed', roomsSeverelyDamaged: 'Rooms severely damaged', roomsModeratelyDamaged: 'Rooms moderately damaged',
  reporterName: 'Your name', reporterPhone: 'Your phone', useLocation: 'Add my current location', locating: 'Locating…', locationAdded: 'Location added', locationFailed: 'Could not locate; the report can go without it',
  submit: 'Send report', required: 'required', queuedOffline: 'Kept on this phone; it is sent when the network returns', sending: 'Sending…',
  delivered: 'Delivered', pending: 'Not delivered yet, waiting for the network', refused: 'Refused', retryNow: 'Retry now', callInstead: 'The report has not got through. Call instead:',
  phoneClockWrong: 'This phone’s clock is wrong: the report got through, and staff go by the time it arrived. Please set the date and time in the phone’s settings.',
  noPhones: 'Call the township duty phone.', sentList: 'Reports I sent', nothingSent: 'No reports sent yet', reportedAt: 'Reported', status: 'Status', unsentFor: 'unsent for',
  minutes: 'min', newReport: 'Report another', formError: 'Please check: ', tooLong: (n, max) => ` (${n} characters, at most ${max})`, online: 'online', offline: 'offline',
  casualtiesRaised: 'Follow-up: more dead, missing or injured',
  casualtiesFiled: 'Reported: people dead, missing or injured',
  reopened: { via_dismissed: 'Alerted again: the related report it was answered through was dismissed', graver: 'Alerted again: it says more than the report it was answered through', answerer_gone: 'Alerted again: the access of the person who answered it was revoked' },
  liveAlerts: 'Live alerts', connected: 'Connected', connecting: 'Connecting…', reconnecting: 'Connection lost, reconnecting…', noAlerts: 'No alerts', openBoard: 'Alerts unacknowledged or with nobody on the way', nobodyGoing: (who) => `acknowledged by ${who}, nobody on the way yet`,
  step: 'Step', stepN: (n) => (n === 0 ? 'first alert' : `escalation ${n}`), ago: 'ago', justNow: 'just now', acknowledge: 'Acknowledge — I’m on it', acknowledged: 'Acknowledged',
  ackBy: 'Acknowledged by', depart: 'I have set off', arrive: 'I have arrived', departed: 'Set off', arrived: 'Arrived', goingBy: (who, change, eta) => (change === 'arrived' ? `${who} arrived` : `${who} set off${eta ? `, expected ${eta}` : ''}`), location: 'Location', openMap: 'Open in maps',
  coordinates: 'Coordinates', accessNotes: 'Access notes', unitPhones: 'Village & township phones', reporter: 'Reporter', call: 'Call', observed: 'Observed', related: 'Related reports',
  clockSuspect: 'The reporting phone’s clock looks wrong, so the observed time cannot be trusted: go by the time reported, and ask the reporter when it happened.',
  updates: 'Updates', notes: 'Notes', back: 'Back', details: 'Details', enableNotifications: 'Turn on notifications', notificationsOn: 'Notifications on', alertSound: 'Alert sound',
  locationFromReport: 'Reporter’s location', locationFromUnit: 'Village centre (the report had no location)', locationFromUnitInstead: 'Village (or township) centre (the report’s location cannot be trusted, see below)',
  locationSuspect: (problem, km, nearer) => `The report’s location cannot be trusted (${problem === 'no_fix' ? '0,0: the phone had no fix' : problem === 'outside_country' ? 'outside China: the phone’s fix is old or wrong' : problem === 'in_other_township' ? `${km} km from the village’s centre, nearer ${nearer?.name ?? 'a village'} in another township (${nearer?.distanceKm ?? '?'} km)` : `${km} km from the centre`}): use the directions and call to find the place. The report’s location`,
  pointPassedOver: (problem, km) => `The follow-up’s location cannot be trusted (${problem === 'no_fix' ? '0,0: the phone had no fix' : problem === 'outside_country' ? 'outside China: the phone’s fix is old or wrong' : `${km} km from the centre`}) and was not used: go to the location above. The follow-up’s location`, noLocation: 'No coordinates: use the directions and call', changed: { amended: 'updated', dismissed: 'dismissed', closed: 'closed', verified: 'verified' },
  unsentOnPhone: (n) => `${n} report(s) on this phone have not been sent; they go once you sign in. If it is urgent, phone:`, phoneRule: ' (a mobile, 11 digits, or a landline with its area code)', countRule: ' (a whole number)', fixAndResend: 'Correct it and send again', tokenDeadQueued: 'Your sign-in has expired: the report is still on this phone, not sent. Phone it in, and ask the township for a new sign-in link', fromPhone: 'No network: this is the alert as kept on the phone; acknowledging, setting off and arriving need a signal.', boardKept: (at) => `No network: the list as read at ${at}`, networkDown: 'no network: the server cannot be reached', networkSlow: 'the network is too slow: no answer in 20 seconds', actionFailed: 'That did not work, try again: ', actionRefused: 'Not recorded: ', rowDamaged: 'history damaged', reportDamaged: (p) => `This report's history is damaged in the store (${p}): what is shown is what is left, and may be incomplete. Acknowledging, setting off and arriving are still recorded; verifying, dismissing and closing wait until an operator restores it from a backup. Tell an auditor.`, actionDone: 'Recorded', statusLabel: { filed: 'not yet acknowledged', acknowledged: 'acknowledged', on_site: 'on site', verified: 'verified', dismissed: 'dismissed', closed: 'closed' },
  tallies: 'Damage tallies', reported: 'Reported (estimate)', verified: 'Verified', unit: 'Unit', reports: 'Reports', byHazard: 'Hazard', allHazards: 'All hazards',
  incidents: 'Incidents and statutory deadlines', due: 'due', overdue: 'OVERDUE', submitted: 'submitted', remaining: 'left', clockInitial: 'Initial (初报)', clockDaily: 'Daily (续报)', clockFinal: 'Final (核报)',
  noIncidents: 'No open incidents', missed: 'Missed relief (verified damage, no relief yet)', noMissed: 'None missed', household: 'Household', damage: 'Damage', notices: 'Public notices (print and post)',
  printNotice: 'Open notice', damageLabel: { collapsed: 'collapsed', severe: 'severe', moderate: 'moderate', none: 'none' }, loading: 'Loading…', loadFailed: 'Could not load: ',
  admin: 'Administrators issue tokens with the CLI (npm run cli -- token …).', scope: 'Scope',
  reportedShort: 'reported', verifiedShort: 'verified', personName: 'Name', estimatedShort: 'estimated',
  export_xlsx: 'Download Excel', export_csv: 'Download CSV', export_html: 'Print forms',
  stat_affectedPeople: 'People affected', stat_dead: 'Dead', stat_missing: 'Missing', stat_injured: 'Injured',
  stat_evacuated: 'Evacuated and resettled', stat_needEmergencyAid: 'Needing emergency aid', stat_roomsCollapsed: 'Rooms collapsed',
  stat_roomsSeverelyDamaged: 'Rooms severely damaged', stat_roomsModeratelyDamaged: 'Rooms moderately damaged', stat_cropAffectedHa: 'Crops affected (ha)',
  stat_cropDamagedHa: 'Crops damaged (ha)', stat_cropFailedHa: 'Crops failed (ha)', stat_livestockLost: 'Livestock lost (head)', stat_directLossYuan: 'Direct loss (yuan)',
  unlinkedReports: (n) => `${n} report(s) of the county filed since the disaster began (not dismissed) are in no incident and not in this draft: if they belong to it, link them before sending`,
  draftOf: 'Draft: ', showDraft: 'Show the draft of the next submission', reportsCounted: 'Reports counted', movedNeedExplanation: 'These figures moved more than 50 % since the last submission and need an explanation: ',
  explanation: 'Explanation of the change', accountNotes: 'Written account (about 200 characters)', sendUpward: 'Send', submittedOk: 'Sent, and recorded in the log',
  issueTitle: 'Issue a token', subLabel: 'User id (letters, digits, e.g. contact-lijia)', roleLabel: 'Role', scopeLabel: 'Scope (unit code, e.g. village 621299103201)', mobileLabel: 'Mobile (for alert SMS, optional)',
  issue: 'Issue', issuedFor: 'Issued to', handOver: 'Let them scan the QR code with their phone, or send them the link below — to that person only.', qrAlt: 'Sign-in QR code', linkLabel: 'Sign-in link', copy: 'Copy link',
  roleName: { contact: 'village contact', officer: 'duty officer', head: 'head', auditor: 'auditor' },
  verifiedFigures: 'Verified', estimateAtFirst: 'Estimate when reported', verifiedHow: (who, method, at, n) => `${who}, ${method}, ${at}: ${n} households`,
  estimateShort: 'Estimate', ':': ': ', sep: ', ', when: 'When did it happen', whenAgo: (m) => (m === 0 ? 'just now' : m < 60 ? `about ${m} min ago` : `about ${m / 60} h ago`),
  contactStatus: { filed: 'waiting for the township', acknowledged: 'the township has it in hand', on_site: 'an officer is on site', verified: 'damage verified', dismissed: 'dismissed', closed: 'closed' },
  contactDismissed: { duplicate: 'someone reported the same already: handled together', false_alarm: 'the township found it a false alarm', out_of_scope: 'not this township’s' },
  duration: (h, m) => (h > 0 ? `${h} h ${m} min` : `${m} min`), started: 'started', mineToo: 'I’m going too', byOthers: 'others',
  liveEmpty: 'No new alerts sent to you yet (alerts from before you connected that nobody has acknowledged are under "Alerts unacknowledged or with nobody on the way" below)', paste: 'Paste a token or a sign-in link', villagePhone: 'Village phone', relatedReport: 'report',
  adminHelp: 'Or run on the server: npm run -s cli -- token --sub ID --role contact --scope VILLAGE --name NAME --phone MOBILE --link, and send the printed sign-in link (or a QR code of it).',
};
const HAZARD_EN = { flash_flood: 'Flash flood', landslide: 'Landslide', debris_flow: 'Debris flow', hail: 'Hail', drought: 'Drought', earthquake: 'Earthquake', snowstorm: 'Snowstorm', windstorm: 'Windstorm', fire: 'Fire', other: 'Other' };

const KEY = 'zhitong.lang';
export let lang = localStorage.getItem(KEY) === 'en' ? 'en' : 'zh';
export const t = (key) => (lang === 'en' ? en : zh)[key] ?? key;
export function setLang(next) {
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next === 'en' ? 'en' : 'zh-CN';
}
document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
/** A hazard's name: the server's Chinese label, or its English name. */
export const hazardName = (code, label) => (lang === 'en' ? HAZARD_EN[code] ?? code : label ?? code);

/** "5 分钟前" / "5 min ago" from milliseconds. */
export function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 45) return t('justNow');
  const m = Math.round(s / 60);
  if (m < 60) return lang === 'en' ? `${m} min ago` : `${m} 分钟前`;
  const h = Math.floor(m / 60);
  if (h < 48) return lang === 'en' ? `${h} h ${m % 60} min ago` : `${h} 小时 ${m % 60} 分钟前`;
  return lang === 'en' ? `${Math.floor(h / 24)} days ago` : `${Math.floor(h / 24)} 天前`;
}

/** A time as a person in Gansu reads it: Beijing time, to the minute. */
export function localTime(iso) {
  if (!iso) return '';
  // English with the month's name: "01/12" reads as January in half the world.
  // The year only when it is not this one: an observation months old must not read as today's.
  const yearOf = (d) => new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(d);
  const date = new Date(iso);
  const year = yearOf(date) !== yearOf(new Date()) ? { year: 'numeric' } : {};
  return date.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', ...year, month: lang === 'en' ? 'short' : 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
